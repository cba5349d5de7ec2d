"""Private TLS: a registry with a self-signed certificate needs its CA bundle configured."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.errors import RegistryError
from bot.registry import HostSettings
from tests.registry.fakeserver import FakeServer, Reply
from tests.registry.helpers import client


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeServer, Path]]:
    """An HTTPS fake registry on 127.0.0.1 and the path of its self-signed certificate."""
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test registry")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "ca.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    with FakeServer(tls=context) as server:
        server.routes["/v2/app/tags/list"] = lambda seen: Reply(body=b'{"tags": ["1.0"]}')
        yield server, cert_path


def test_untrusted_certificate_fails_with_a_registry_error(
    tls_server: tuple[FakeServer, Path],
) -> None:
    server, _ = tls_server
    with pytest.raises(RegistryError, match=r"127\.0\.0\.1.*SSLError"):
        client(max_retries=0).list_tags(server.host, "app")


def test_per_host_ca_bundle_is_used(tls_server: tuple[FakeServer, Path]) -> None:
    server, ca = tls_server
    c = client(hosts=(HostSettings(server.host, ca_bundle=str(ca)),))
    assert c.list_tags(server.host, "app").tags == ("1.0",)


def test_global_ca_bundle_is_used(tls_server: tuple[FakeServer, Path]) -> None:
    server, ca = tls_server
    assert client(ca_bundle=str(ca)).list_tags(server.host, "app").tags == ("1.0",)
