"""``issuer seal verify``: check a QR code's seal with no network, only the keys."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .codec import decode_fragment
from .keys import SealKeyError, SealPublicKey, keys_from_jwks, load_public_keys_pem

app = typer.Typer(help="The offline seal in certificates' QR codes.", no_args_is_help=True)


def read_keys(path: Path) -> tuple[SealPublicKey, ...]:
    """A JWKS (as ``GET /v1/seal-keys`` serves it) or a PEM bundle of public keys."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        document = json.loads(data)
        # The test vectors file carries its keys under "jwks".
        return keys_from_jwks(document.get("jwks", document))
    return load_public_keys_pem(data, source=str(path))


@app.command("verify")
def verify(
    seal: str = typer.Argument(..., help="CMM1:... (the text after '#' in the QR code)."),
    keys: Path = typer.Option(
        ..., "--keys", exists=True, dir_okay=False, help="JWKS from GET /v1/seal-keys, or PEM."
    ),
) -> None:
    """Print the seal's claims as JSON if it is valid; exit 1 (reason on stderr) if not."""
    try:
        public_keys = read_keys(keys)
    except (SealKeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--keys") from exc
    # Pasted from a browser's address bar, the seal's spaces read %20.
    check = decode_fragment(seal, public_keys)
    if not check.valid or check.claims is None:
        typer.echo(f"INVALID seal: {check.reason} (kid {check.kid or '-'})", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"valid": True, "kid": check.kid, "claims": check.claims.to_json()},
                          ensure_ascii=False, indent=2))  # fmt: skip
