"""Private TLS: a registry with a self-signed certificate needs its CA bundle configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import RegistryError
from bot.registry import HostSettings
from tests.registry.fakeserver import FakeServer, Reply
from tests.registry.helpers import client
from tests.registry.tlsca import LocalCA


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeServer, Path]]:
    """An HTTPS fake registry on 127.0.0.1 and the path of the CA that signed its certificate."""
    ca = LocalCA.create(tmp_path_factory.mktemp("tls"))
    with FakeServer(tls=ca.server_context("registry")) as server:
        server.routes["/v2/app/tags/list"] = lambda seen: Reply(body=b'{"tags": ["1.0"]}')
        yield server, ca.ca_path


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
