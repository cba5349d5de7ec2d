"""Pooled connections: a reply that has been dealt with leaves its connection to the next request.

A new connection is a TCP (and, for a real registry, TLS) handshake; a run that checks pins makes
dozens of ``HEAD`` requests to one registry.
"""

from __future__ import annotations

from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.helpers import client, digest, manifest_bytes


def test_head_and_get_requests_share_one_connection() -> None:
    body = manifest_bytes()

    def manifest(seen: Seen) -> Reply:
        headers = {
            "Content-Type": "application/vnd.oci.image.manifest.v1+json",
            "Docker-Content-Digest": digest(body),
        }
        return Reply(headers=headers, body=body)

    with FakeServer() as server:
        server.routes["/v2/app/manifests/"] = manifest
        server.routes["/v2/app/tags/list"] = lambda seen: Reply(body=b'{"tags": ["1.0", "1.1"]}')
        c = client(concurrency_per_host=1, insecure_hosts=frozenset({"127.0.0.1"}))
        assert c.head_digest(server.host, "app", "1.0").digest == digest(body)
        assert c.head_digest(server.host, "app", "1.1").digest == digest(body)
        assert c.list_tags(server.host, "app").tags == ("1.0", "1.1")
        assert c.head_digest(server.host, "app", "1.2").digest == digest(body)
    assert [s.method for s in server.seen] == ["HEAD", "HEAD", "GET", "HEAD"]
    assert len({s.peer for s in server.seen}) == 1, server.seen
