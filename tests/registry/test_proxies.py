"""Proxies from the environment: ``http_proxy`` / ``https_proxy``, bypassed per host by
``no_proxy``, as ``requests`` reads them (lowercase names first, like curl and wget).

The proxy decision is taken once per origin (scheme, host, port) for a run; these tests pin that
it is still taken per origin: one host in ``no_proxy`` does not take another host off the proxy.
"""

from __future__ import annotations

import pytest

from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.helpers import client, digest, manifest_bytes

PROXY_NAMES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


@pytest.fixture
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def _manifest(seen: Seen) -> Reply:
    body = manifest_bytes()
    return Reply(
        headers={
            "Content-Type": "application/vnd.oci.image.manifest.v1+json",
            "Docker-Content-Digest": digest(body),
        },
        body=body,
    )


def test_requests_go_through_the_proxy_of_the_environment(
    clean_proxy_env: pytest.MonkeyPatch,
) -> None:
    with FakeServer() as registry, FakeServer() as proxy:
        registry.routes["/v2/"] = _manifest
        proxy.routes["http://"] = _manifest  # a proxy receives the absolute URL
        clean_proxy_env.setenv("http_proxy", proxy.url)
        c = client(insecure_hosts=frozenset({"127.0.0.1"}))
        c.head_digest(registry.host, "app", "1.0")
        c.head_digest(registry.host, "app", "1.1")
    assert registry.seen == []
    assert proxy.paths("HEAD") == [
        f"http://{registry.host}/v2/app/manifests/1.0",
        f"http://{registry.host}/v2/app/manifests/1.1",
    ]


def test_no_proxy_is_decided_per_host(clean_proxy_env: pytest.MonkeyPatch) -> None:
    with FakeServer() as direct, FakeServer() as proxied, FakeServer() as proxy:
        direct.routes["/v2/"] = _manifest
        proxied.routes["/v2/"] = _manifest
        proxy.routes["http://"] = _manifest
        clean_proxy_env.setenv("HTTP_PROXY", proxy.url)
        clean_proxy_env.setenv("NO_PROXY", "127.0.0.1")
        # The same loopback server under another name is not in no_proxy.
        other = proxied.host.replace("127.0.0.1", "localhost")
        c = client(insecure_hosts=frozenset({"127.0.0.1", "localhost"}))
        for tag in ("1.0", "1.1"):
            c.head_digest(direct.host, "app", tag)
            c.head_digest(other, "app", tag)
    assert direct.paths("HEAD") == ["/v2/app/manifests/1.0", "/v2/app/manifests/1.1"]
    assert proxied.seen == []
    assert proxy.paths("HEAD") == [
        f"http://{other}/v2/app/manifests/1.0",
        f"http://{other}/v2/app/manifests/1.1",
    ]
