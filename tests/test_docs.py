"""The README's configuration reference and the code agree, both ways."""

from __future__ import annotations

import re
from pathlib import Path

from services.issuer.settings import IssuerSettings
from services.registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[1]
# os.environ["X"], os.environ.get("X"), os.getenv("X")
_ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\(|environ\[|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def settings_variables() -> set[str]:
    return {f"REGISTRY_{n.upper()}" for n in RegistrySettings.model_fields} | {
        f"ISSUER_{n.upper()}" for n in IssuerSettings.model_fields
    }


def variables_read_by_code() -> set[str]:
    found: set[str] = set()
    for folder in ("services", "shared", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(_ENV_READ.findall(path.read_text()))
    return found


def documented_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in re.findall(r"^\| `([^|]+)` \|", section, flags=re.MULTILINE):
        names |= set(re.findall(r"[A-Z][A-Z0-9_]{2,}", row))
    return names


def test_every_variable_the_code_reads_is_documented() -> None:
    missing = (settings_variables() | variables_read_by_code()) - documented_variables()
    assert not missing, f"add to README's configuration reference: {sorted(missing)}"


def test_every_documented_variable_is_read_by_the_code() -> None:
    stale = documented_variables() - settings_variables() - variables_read_by_code()
    assert not stale, f"documented but never read: {sorted(stale)}"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
