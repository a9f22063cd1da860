"""A local RFC 3161 timestamp authority for tests: pyHanko's DummyTimeStamper behind
HTTP on 127.0.0.1 (a free port), with a PKI whose signer expires soon and whose CA
publishes a CRL, so that long-term validation has something to prove."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from services.issuer.signing import SigningIdentity, load_signer, write_pkcs12

_NOW = dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pruebas LTV"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


@dataclass(frozen=True)
class LtvPki:
    ca: x509.Certificate
    signer: SigningIdentity
    signer_expires: dt.datetime
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey
    crl_der: bytes

    def timestamper(self) -> DummyTimeStamper:
        der = serialization.Encoding.DER
        return DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.tsa_cert.public_bytes(der)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.tsa_key.private_bytes(
                    der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
        )


def make_ltv_pki(directory: Path, *, crl_url: str, signer_days: int = 2) -> LtvPki:
    ca_key, signer_key, tsa_key = _key(), _key(), _key()
    ca_name = _name("CA de Pruebas LTV")
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    crl_dp = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
    )
    start = _NOW - dt.timedelta(minutes=5)
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(_NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True).add_extension(ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip

    def leaf(
        name: str, key: rsa.RSAPrivateKey, days: int, eku: x509.ObjectIdentifier
    ) -> x509.Certificate:
        return (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(_NOW + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=eku == ExtendedKeyUsageOID.TIME_STAMPING)
            .add_extension(aki, critical=False).add_extension(crl_dp, critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip

    signer_cert = leaf("Firmante LTV (expira pronto)", signer_key, signer_days,
                       ExtendedKeyUsageOID.EMAIL_PROTECTION)  # fmt: skip
    tsa_cert = leaf("TSA de Pruebas", tsa_key, 3000, ExtendedKeyUsageOID.TIME_STAMPING)
    crl = (
        x509.CertificateRevocationListBuilder().issuer_name(ca_name)
        .last_update(start).next_update(_NOW + dt.timedelta(days=3000))
        .add_extension(aki, critical=False).add_extension(x509.CRLNumber(1), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    write_pkcs12(directory / "ltv-signer.p12", signer_key, signer_cert, [ca], b"ltv")
    return LtvPki(
        ca=ca,
        signer=load_signer(directory / "ltv-signer.p12", b"ltv"),
        signer_expires=signer_cert.not_valid_after_utc,
        tsa_cert=tsa_cert,
        tsa_key=tsa_key,
        crl_der=crl.public_bytes(serialization.Encoding.DER),
    )


class LocalTsa:
    """What the server answers; set after the PKI (which names the server's CRL URL)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.url = base_url + "/tsa"
        self.crl_url = base_url + "/ca.crl"
        self.timestamper: DummyTimeStamper | None = None
        self.crl_der = b""


@contextlib.contextmanager
def serve_tsa() -> Iterator[LocalTsa]:
    """An RFC 3161 endpoint (POST /tsa) and its CA's CRL (GET /ca.crl) on 127.0.0.1."""
    state: list[LocalTsa] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/ca.crl" or not state[0].crl_der:
                self.send_error(404)
                return
            self._reply(state[0].crl_der, "application/pkix-crl")

        def do_POST(self) -> None:
            timestamper = state[0].timestamper
            if self.headers.get("Content-Type") != "application/timestamp-query" or not timestamper:
                self.send_error(415)
                return
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = asyncio.run(timestamper.async_request_tsa_response(request)).dump()
            self._reply(reply, "application/timestamp-reply")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(LocalTsa(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
