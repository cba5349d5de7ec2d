"""Redirects to another host never carry Authorization; blob streams verify their digest."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import pytest

from bot.errors import DigestMismatchError, NotFoundError, RegistryError, RegistryProtocolError
from bot.registry import HostSettings, HttpRegistryClient, ImageManifest
from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.helpers import OCI_MANIFEST, client, digest, manifest_bytes

PASSWORD = "pa55-word-never-leaks"
BASIC = "Basic " + base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
BLOB = b"layer bytes " * 5000


@pytest.fixture
def servers() -> Iterator[tuple[FakeServer, FakeServer]]:
    """A registry needing Basic auth, and a 'CDN' on another port."""
    with FakeServer() as registry, FakeServer() as cdn:
        yield registry, cdn


def _needs_auth(reply: Reply) -> Callable[[Seen], Reply]:
    def route(seen: Seen) -> Reply:
        if seen.headers.get("Authorization") != BASIC:
            return Reply(401, {"WWW-Authenticate": 'Basic realm="test"'})
        return reply

    return route


def _client(registry: FakeServer, **extra: object) -> HttpRegistryClient:
    return client(
        environ={"PW": PASSWORD},
        hosts=(HostSettings(registry.host, "ci", password_env="PW"),),
        insecure_hosts=frozenset({"127.0.0.1"}),
        **extra,
    )


def test_blob_redirect_to_other_host_drops_authorization(
    servers: tuple[FakeServer, FakeServer],
) -> None:
    registry, cdn = servers
    blob_digest = digest(BLOB)
    registry.routes[f"/v2/app/blobs/{blob_digest}"] = _needs_auth(
        Reply(307, {"Location": f"{cdn.url}/signed/blob?X-Amz-Algorithm=AWS4"})
    )
    cdn.routes["/signed/"] = lambda seen: Reply(body=BLOB)
    c = _client(registry)

    with c.open_blob(registry.host, "app", blob_digest) as reader:
        data = b"".join(reader)

    assert data == BLOB
    assert [s.headers.get("Authorization") for s in registry.seen] == [None, BASIC]
    assert len(cdn.seen) == 1
    assert "Authorization" not in cdn.seen[0].headers
    assert cdn.seen[0].path == "/signed/blob?X-Amz-Algorithm=AWS4"


def test_same_origin_redirect_keeps_authorization(servers: tuple[FakeServer, FakeServer]) -> None:
    registry, _ = servers
    body = manifest_bytes()
    registry.routes["/v2/app/manifests/1.0"] = _needs_auth(
        Reply(302, {"Location": "/v2/real/manifests/1.0"})
    )
    registry.routes["/v2/real/manifests/1.0"] = _needs_auth(
        Reply(200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": digest(body)}, body)
    )
    manifest = _client(registry).get_manifest(registry.host, "app", "1.0")
    assert isinstance(manifest, ImageManifest)
    assert [s.headers.get("Authorization") for s in registry.seen] == [None, BASIC, BASIC]


def test_manifest_redirect_to_other_host_drops_authorization(
    servers: tuple[FakeServer, FakeServer],
) -> None:
    registry, cdn = servers
    body = manifest_bytes()
    registry.routes["/v2/app/manifests/1.0"] = _needs_auth(Reply(307, {"Location": f"{cdn.url}/m"}))
    cdn.routes["/m"] = lambda seen: Reply(200, {"Content-Type": OCI_MANIFEST}, body)
    manifest = _client(registry).get_manifest(registry.host, "app", "1.0")
    assert manifest.digest == digest(body)
    assert "Authorization" not in cdn.seen[0].headers


def test_blob_with_wrong_content_raises_at_eof(servers: tuple[FakeServer, FakeServer]) -> None:
    registry, _ = servers
    claimed = digest(b"what we expect")
    registry.routes[f"/v2/app/blobs/{claimed}"] = _needs_auth(Reply(body=BLOB))
    reader = _client(registry).open_blob(registry.host, "app", claimed)
    first = reader.read(100)
    assert first == BLOB[:100]
    with pytest.raises(DigestMismatchError, match=claimed):
        reader.read()


def test_chunked_blob_larger_than_limit_is_refused(servers: tuple[FakeServer, FakeServer]) -> None:
    registry, _ = servers
    data = b"z" * 300_000
    registry.routes[f"/v2/app/blobs/{digest(data)}"] = _needs_auth(
        Reply(chunks=[data[i : i + 50_000] for i in range(0, len(data), 50_000)])
    )
    reader = _client(registry).open_blob(registry.host, "app", digest(data), max_bytes=100_000)
    with pytest.raises(DigestMismatchError, match="larger than 100000"):
        reader.read()


def test_chunked_manifest_larger_than_4mib_is_refused(
    servers: tuple[FakeServer, FakeServer],
) -> None:
    registry, _ = servers
    registry.routes["/v2/app/manifests/big"] = _needs_auth(
        Reply(headers={"Content-Type": OCI_MANIFEST}, chunks=[b" " * (1 << 20)] * 5)
    )
    with pytest.raises(RegistryProtocolError, match="exceeds 4194304"):
        _client(registry).get_manifest(registry.host, "app", "big")


def test_missing_blob_is_not_found(servers: tuple[FakeServer, FakeServer]) -> None:
    registry, _ = servers
    with pytest.raises(NotFoundError, match="NAME_UNKNOWN"):
        _client(registry).open_blob(registry.host, "app", digest(b"nothing"))


def test_error_messages_never_contain_the_password(servers: tuple[FakeServer, FakeServer]) -> None:
    registry, _ = servers
    registry.routes["/v2/"] = lambda seen: Reply(401, {"WWW-Authenticate": 'Basic realm="x"'})
    with pytest.raises(Exception) as info:
        _client(registry).list_tags(registry.host, "app")
    assert PASSWORD not in str(info.value)
    assert base64.b64encode(f"ci:{PASSWORD}".encode()).decode() not in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_a_blob_trickling_in_ends_at_its_deadline(servers: tuple[FakeServer, FakeServer]) -> None:
    """A blob's total deadline is ``request_deadline`` plus a second per announced MiB: a small
    blob sent a byte every 0.1 s (each read well inside the read timeout) ends with a timeout
    naming the host, and the connection it held is not reused for later requests."""
    registry, cdn = servers
    data = b"x" * 200
    blob_digest = digest(data)
    registry.routes[f"/v2/app/blobs/{blob_digest}"] = _needs_auth(
        Reply(307, {"Location": f"{cdn.url}/slow"})
    )
    cdn.routes["/slow"] = lambda seen: Reply(body=data, drip=0.1)
    registry.routes["/v2/app/tags/list"] = _needs_auth(Reply(body=b'{"tags": ["1"]}'))
    c = _client(registry, request_deadline=1.0, read_timeout=5.0)

    with (
        pytest.raises(RegistryError, match=rf"request to {cdn.host} timed out.*request_deadline"),
        c.open_blob(registry.host, "app", blob_digest) as reader,
    ):
        b"".join(reader)
    assert c.list_tags(registry.host, "app").tags == ("1",)
