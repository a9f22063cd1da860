"""The manifest of the Ecuador trust bundle: where each certificate came from, and what it
is (subject, issuer, SHA-256 fingerprint, validity, root or intermediate).

``manifest.json`` is the reviewable record; the PEM files are what the issuer loads.
``python -m services.issuer.trust.manifest`` checks that they agree (CI runs the same check
as a test); ``--write`` refreshes the derived fields after adding a certificate, keeping
the hand-written provenance (``source``) of each entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

BUNDLE = Path(__file__).parent / "ecuador"
MANIFEST = BUNDLE / "manifest.json"


def describe(certificate: x509.Certificate) -> dict[str, Any]:
    """The derived fields of a manifest entry."""
    self_issued = certificate.issuer == certificate.subject
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "role": "root" if self_issued else "intermediate",
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
    }


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def problems(directory: Path = BUNDLE) -> list[str]:
    """Every disagreement between the PEM files and the manifest; empty when they agree."""
    manifest = load_manifest(directory / "manifest.json")
    entries = {e["file"]: e for e in manifest["certificates"]}
    found = []
    files = {p.name for p in directory.glob("*.pem")}
    for name in sorted(files - set(entries)):
        found.append(f"{name}: not in the manifest")
    for name in sorted(set(entries) - files):
        found.append(f"{name}: in the manifest, no such file")
    for name in sorted(files & set(entries)):
        certificates = x509.load_pem_x509_certificates((directory / name).read_bytes())
        if len(certificates) != 1:
            found.append(f"{name}: holds {len(certificates)} certificates, expected 1")
            continue
        for key, value in describe(certificates[0]).items():
            if entries[name].get(key) != value:
                found.append(
                    f"{name}: {key} is {value!r}, manifest says {entries[name].get(key)!r}"
                )
    return found


def write(directory: Path = BUNDLE) -> None:
    path = directory / "manifest.json"
    manifest = load_manifest(path)
    for entry in manifest["certificates"]:
        certificate = x509.load_pem_x509_certificate((directory / entry["file"]).read_bytes())
        entry.update(describe(certificate))
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="refresh the derived fields")
    args = parser.parse_args(argv)
    if args.write:
        write()
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
