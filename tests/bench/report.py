"""Write a bench run as JSON, a markdown table and a PNG plot under ``.data/bench/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(".data/bench")
HEADER = "| scenario | c | req/s (or mov/s) | p50 ms | p95 ms | p99 ms | errors | vs bare |"


def _line(row: dict[str, Any], versus: str = "") -> str:
    return (
        f"| {row['scenario']} | {row['connections']} | {row['per_second']} | {row['p50_ms']} "
        f"| {row['p95_ms']} | {row['p99_ms']} | {row['errors']} | {versus} |"
    )


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gb']} GB, {m['platform']}, "
        f"Python {m['python']}; load average at start {m['load_average_at_start']}.",
        f"wrk, {results['connections']} connections unless the row says otherwise, "
        f"{results['duration']} per run; one uvicorn worker per service, logging at INFO as "
        "under `make run` (an access line per request, to .data/bench/*.log).",
        "",
        HEADER,
        "|---|---|---|---|---|---|---|---|",
    ]
    for pair in results["registry"]["pairs"]:
        per_cpu = pair.get("per_worker_cpu_second")
        cpu = f"; {per_cpu} per CPU-second of the worker" if per_cpu else ""
        if opened := pair.get("postgres_sessions_opened"):
            cpu += f"; {opened} PostgreSQL sessions opened"
        lines.append(_line(pair, f"**{pair['throughput_ratio']}x** throughput{cpu}"))
        lines.append(_line(pair["bare"]))
    issuance = results["issuer"]["issuance"]
    lines.append(_line(issuance, f"**{issuance['p50_ratio']}x** p50"))
    lines.append(_line(issuance["bare"]))
    for row in results["issuer"]["issuance_concurrency"][1:]:
        lines.append(_line(row))
    for row in results["issuer"]["livez"].values():
        lines.append(_line(row))
    if rendering := results["issuer"].get("rendering"):
        lines += ["", f"Rendering alone, {rendering['movements']} movements, in-process, "
                  f"{rendering['rounds']} rounds alternating: render_certificate p50 "
                  f"{rendering['render_certificate_p50_ms']} ms, plain reportlab (same table, "
                  f"built-in fonts, no PDF/A or tags) {rendering['plain_reportlab_p50_ms']} ms: "
                  f"**{rendering['ratio']}x**."]  # fmt: skip
    lines += ["", "History search against history length (same connections):", "", HEADER,
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for pair in results["registry"]["sweeps"]["history_size"]:
        lines.append(_line(pair, f"{pair['throughput_ratio']}x"))
        lines.append(_line(pair["bare"]))
    lines += ["", "POST /v1/movements against connections:", "", HEADER,
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for pair in results["registry"]["sweeps"]["concurrency"]:
        lines.append(_line(pair, f"{pair['throughput_ratio']}x"))
        lines.append(_line(pair["bare"]))
    if multi := results.get("workers"):
        lines += ["", f"The registry with {multi['workers']} uvicorn worker processes "
                  f"(RSS: master {multi['rss_mb']['master']} MB, workers "
                  f"{multi['rss_mb']['each_worker']} MB; one worker alone: "
                  f"{results['registry'].get('rss_mb_after_load')} MB after the run):", "",
                  HEADER, "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for key in ("post_movements", "history_search"):
            row = multi[key]
            lines.append(_line(row, f"{row['vs_one_worker']}x one worker"))
    for name, spy in results.get("profile", {}).items():
        lines += ["", f"py-spy, {name} under load ({spy['samples']} samples, "
                  f"{spy['load']['per_second']} req/s while sampled): CPU share by layer, "
                  "then the hottest frames (self time)", ""]  # fmt: skip
        lines += [f"- {layer}: {pct}%" for layer, pct in spy["by_layer_pct"]]
        lines += [f"- `{frame}`: {pct}%" for frame, pct in spy["self_pct"][:8]]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweeps = results["registry"]["sweeps"]
    fig, (by_size, by_conn) = plt.subplots(1, 2, figsize=(11, 4.2))
    sizes = [p["size"] for p in sweeps["history_size"]]
    for side, label in ((lambda p: p, "registry"), (lambda p: p["bare"], "bare")):
        for key, style in (("p50_ms", "-o"), ("p99_ms", "--o")):
            by_size.plot(sizes, [side(p)[key] for p in sweeps["history_size"]], style,
                         label=f"{label} {key[:3]}")  # fmt: skip
            by_conn.plot([p["connections"] for p in sweeps["concurrency"]],
                         [side(p)[key] for p in sweeps["concurrency"]], style,
                         label=f"{label} {key[:3]}")  # fmt: skip
    by_size.set(xscale="log", yscale="log", xlabel="movements in the history",
                ylabel="latency (ms)", title="POST /v1/history/search")  # fmt: skip
    by_conn.set(xscale="log", yscale="log", xlabel="wrk connections", ylabel="latency (ms)",
                title="POST /v1/movements")  # fmt: skip
    for axes in (by_size, by_conn):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (OUT / "results.md").write_text(table)
    plot(results, OUT / "results.png")
    print("\n" + table)
    print(f"written to {OUT}/results.json, results.md, results.png")
