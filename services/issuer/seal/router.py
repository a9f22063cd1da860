"""Public seal endpoints: the keys to check QR seals offline, and an online check."""

from fastapi import Response

from services.issuer.deps import KeysDep
from shared.auth import PublicRateLimited
from shared.db import SessionDep
from shared.errors import ProblemSchema
from shared.web import api_router

from .schemas import SealCheckOut, SealIn, SealKeysOut
from .service import check_seal

router = api_router(tags=["verification (public)"])


@router.get("/v1/seal-keys", response_model=SealKeysOut)
async def seal_keys(keys: KeysDep, response: Response) -> dict[str, list[dict[str, str]]]:
    """The public keys that sign the seals in certificates' QR codes, as a JWKS
    (public, no token).

    Fetch it once and keep it: with it, a QR code's seal (`CMM1:...`, after the `#` of
    the URL) can be checked with no network, as `issuer seal verify` does. The seal's
    `kid` (COSE protected header, ASCII) names the key. Retired keys stay listed so that
    older certificates keep verifying. Format and test vectors: `docs/seal.md`.
    """
    response.headers["Cache-Control"] = "public, max-age=3600"
    return keys.seal.jwks()


@router.post(
    "/v1/verify/seal",
    response_model=SealCheckOut,
    dependencies=[PublicRateLimited],
    responses={
        413: {"model": ProblemSchema},
        422: {"model": ProblemSchema},
        429: {"model": ProblemSchema},
    },
)
async def verify_seal(body: SealIn, session: SessionDep, keys: KeysDep) -> SealCheckOut:
    """Check the seal of a certificate's QR code (public, no token).

    `valid` says whether the seal is well formed and signed by one of our seal keys
    (`GET /v1/seal-keys`); `claims` is what it certifies. `status` adds what only we
    know: whether that certificate was since revoked (`REVOKED`), or is not one we hold
    (`UNKNOWN`, also for every invalid seal, with `reason`: `BAD_PREFIX`, `MALFORMED`,
    `UNKNOWN_KEY`, `BAD_SIGNATURE` or `BAD_CLAIMS`).
    """
    return await check_seal(session, body.seal, keyring=keys.seal)
