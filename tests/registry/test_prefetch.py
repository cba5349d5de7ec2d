"""lookup_many: concurrent across registries, limited per host, errors per item."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.errors import NotFoundError
from bot.registry import LookupRequest, lookup_many
from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.helpers import client, digest


class InFlight:
    """Counts concurrent requests per server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.overlap = False

    def route(self, name: str) -> Callable[[Seen], Reply]:
        def handle(seen: Seen) -> Reply:
            with self.lock:
                self.current[name] = self.current.get(name, 0) + 1
                self.peak[name] = max(self.peak.get(name, 0), self.current[name])
                self.overlap = self.overlap or (
                    all(v > 0 for v in self.current.values()) and len(self.current) == 2
                )
            time.sleep(0.05)
            with self.lock:
                self.current[name] -= 1
            tag = seen.path.rsplit("/", 1)[-1]
            if tag == "missing":
                return Reply(404, body=b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
            return Reply(headers={"Docker-Content-Digest": digest(tag.encode())})

        return handle


def test_per_host_limit_and_cross_registry_concurrency() -> None:
    counter = InFlight()
    with FakeServer() as one, FakeServer() as two:
        one.routes["/v2/"] = counter.route("one")
        two.routes["/v2/"] = counter.route("two")
        c = client(concurrency_per_host=2, insecure_hosts=frozenset({"127.0.0.1"}))
        items = [LookupRequest(s.host, "app", f"t{i}") for i in range(6) for s in (one, two)]
        items.append(LookupRequest(one.host, "app", "missing"))
        items.append(LookupRequest(two.host, "app", "t0"))  # duplicate: memoised

        results = lookup_many(c, items, max_workers=8)

    assert [r.request for r in results] == items
    assert results[0].digest is not None
    assert results[0].digest.digest == digest(b"t0")
    assert isinstance(results[-2].error, NotFoundError)
    assert results[-1].digest == results[1].digest
    assert all(v <= 2 for v in counter.peak.values())
    assert max(counter.peak.values()) == 2
    assert counter.overlap
    assert len(one.seen) == 7
    assert len(two.seen) == 6
