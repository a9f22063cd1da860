"""PAdES long-term validity: with a timestamp authority (a local one, 127.0.0.1) the
certificate's signature still validates after the signing certificate has expired;
poppler's pdfsig, an independent implementation, accepts our signatures."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import anyio
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from httpx import AsyncClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from reportlab.pdfgen import canvas

from services.issuer.key_material import KeyMaterial
from services.issuer.signing import (
    DevelopmentPki,
    long_term_validation,
    sign_certificate_pdf,
)
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history
from tests.issuer.tsa import LocalTsa, LtvPki, make_ltv_pki, serve_tsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with serve_tsa() as local:
        yield local


@pytest.fixture(scope="module")
def ltv_pki(tmp_path_factory: pytest.TempPathFactory, tsa: LocalTsa) -> LtvPki:
    pki = make_ltv_pki(tmp_path_factory.mktemp("ltv"), crl_url=tsa.crl_url, signer_days=2)
    tsa.timestamper, tsa.crl_der = pki.timestamper(), pki.crl_der
    return pki


def _pdf() -> bytes:
    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "CERTIFICADO DE MOVIMIENTOS MIGRATORIOS")
    page.save()
    return buffer.getvalue()


def _asn1(certificates: list[x509.Certificate]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certificates]


def validate_as_of(pdf: bytes, roots: list[x509.Certificate], when: dt.datetime) -> object:
    """pyHanko's AdES long-term validation (ETSI EN 319 102-1) at ``when``, offline:
    only what the PDF embeds and the trust roots."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=_asn1(roots)),
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(
                ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
                intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
            )
        ),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    result = anyio.run(
        lambda: ades_lta_validation(
            signature, spec, timing_info=ValidationTimingInfo(when, when, False)
        )
    )
    return result.ades_subindic


def pdfsig(pdf: bytes, trusted_ca: x509.Certificate, directory: Path) -> str:
    """poppler's verdict, trusting ``trusted_ca`` (an NSS database of its own)."""
    if shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.skip(
            "pdfsig/certutil not installed: apt-get install poppler-utils libnss3-tools (CI installs them)"
        )
    nss = directory / "nss"
    nss.mkdir(exist_ok=True)
    (directory / "ca.pem").write_bytes(trusted_ca.public_bytes(Encoding.PEM))
    (directory / "cert.pdf").write_bytes(pdf)
    db = f"sql:{nss}"
    subprocess.run(
        ["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True
    )
    subprocess.run(
        ["certutil", "-A", "-d", db, "-n", "ca", "-t", "C,C,C", "-i", str(directory / "ca.pem")],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        ["pdfsig", "-nssdir", db, str(directory / "cert.pdf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _first_signature(report: str) -> str:
    return report.split("Signature #2:")[0]


def test_timestamped_signature_outlives_the_signing_certificate(
    ltv_pki: LtvPki, tsa: LocalTsa, tmp_path: Path
) -> None:
    long_term = long_term_validation(tsa.url, trust_roots=[ltv_pki.ca], chain=[ltv_pki.ca])
    timestamped = sign_certificate_pdf(_pdf(), ltv_pki.signer, long_term=long_term)
    plain = sign_certificate_pdf(_pdf(), ltv_pki.signer)

    after_expiry = ltv_pki.signer_expires + dt.timedelta(days=30)
    assert validate_as_of(timestamped, [ltv_pki.ca], after_expiry) == AdESPassed.OK
    # Without the timestamp the same signature cannot be validated once the certificate
    # has expired: that is the point of ISSUER_TSA_URL.
    assert validate_as_of(plain, [ltv_pki.ca], after_expiry) != AdESPassed.OK

    # The validation data travels in the file: the DSS holds the CRL and the chain.
    reader = PdfFileReader(BytesIO(timestamped))
    dss = reader.root["/DSS"]
    assert len(dss["/CRLs"]) >= 1 and len(dss["/Certs"]) >= 2
    [signature] = reader.embedded_regular_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    # The RFC 3161 signature timestamp, an unsigned attribute of the CMS signature.
    unsigned = signature.signer_info["unsigned_attrs"].native or []
    assert any(a["type"] == "signature_time_stamp_token" for a in unsigned)
    assert len(reader.embedded_timestamp_signatures) == 1  # the document timestamp (LTA)

    report = _first_signature(pdfsig(timestamped, ltv_pki.ca, tmp_path))
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report


async def test_issued_certificates_with_a_tsa(
    issuer_factory: IssuerFactory,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    dev_pki: DevelopmentPki,
    ltv_pki: LtvPki,
    tsa: LocalTsa,
    key_material: KeyMaterial,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=2)
    keys = replace(  # ISSUER_TSA_TRUST_ROOTS_PATH, and the dev CA's CRL as in development
        key_material, tsa_trust_roots=(ltv_pki.ca,), signing_crls=(dev_pki.ca_crl.read_bytes(),)
    )
    async with issuer_factory(tsa_url=tsa.url, keys=keys) as (_, issuer):
        response = await issuer.post(
            "/v1/certificate-requests",
            json=certificate_request(national_id=cedula),
            headers=authorities.fiscalia.headers,
        )
        assert response.status_code == 201, response.text
        certificate = response.json()["certificate"]
        pdf = (
            await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
        ).content
        checked = await issuer.post(
            "/v1/verify", content=pdf, headers={"Content-Type": "application/pdf"}
        )
        assert checked.json()["match"] and checked.json()["signature_valid"]

    dev_ca = x509.load_pem_x509_certificate(dev_pki.ca_cert.read_bytes())
    _, signer_cert, _ = pkcs12.load_key_and_certificates(
        dev_pki.signer_p12.read_bytes(), dev_pki.passphrase
    )
    assert signer_cert is not None
    # The development signer is valid for three years; the TSA's certificate longer.
    after_expiry = signer_cert.not_valid_after_utc + dt.timedelta(days=1)
    assert after_expiry < ltv_pki.tsa_cert.not_valid_after_utc
    verdict = await anyio.to_thread.run_sync(
        validate_as_of, pdf, [dev_ca, ltv_pki.ca], after_expiry
    )
    assert verdict == AdESPassed.OK


async def test_tsa_down_keeps_the_request_pending(
    issuer_factory: IssuerFactory,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    closed_port: int,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=1)
    async with issuer_factory(tsa_url=f"http://127.0.0.1:{closed_port}/tsa") as (_, issuer):
        response = await issuer.post(
            "/v1/certificate-requests",
            json=certificate_request(national_id=cedula),
            headers=authorities.fiscalia.headers,
        )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "PENDING"


async def test_pdfsig_accepts_the_default_certificate(
    issuer: AsyncClient,
    authorities: Authorities,
    dev_pki: DevelopmentPki,
    tmp_path: Path,
) -> None:
    response = await issuer.post(
        "/v1/certificate-requests",
        json=certificate_request(national_id=fresh_cedula()),
        headers=authorities.fiscalia.headers,
    )
    assert response.status_code == 201, response.text
    pdf = (
        await issuer.get(
            response.json()["certificate"]["pdf_url"], headers=authorities.fiscalia.headers
        )
    ).content
    dev_ca = x509.load_pem_x509_certificate(dev_pki.ca_cert.read_bytes())
    report = await anyio.to_thread.run_sync(pdfsig, pdf, dev_ca, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "Total document signed" in report and "Signature #2" not in report
