"""Fixtures of the distributed-mode tests: PostgreSQL, Redis and a Kubernetes Lease API double.

PostgreSQL and Redis are the Debian packages' servers, one of each per test session (per xdist
worker), started on loopback on first use (``tests/support/daemons.py``). Tests isolate
themselves: a fresh database (``pg_database``) and a fresh key namespace (``namespace``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_emulator.fixtures import github_emulator
from tests.reliability.harness import SeededImages, seed_images
from tests.support.daemons import DaemonError, Postgres, Redis, start_postgres, start_redis
from tests.support.kubelease import LeaseApi
from tests.support.registry import RunningRegistry

__all__ = ["github_emulator"]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A PostgreSQL server for the session."""
    try:
        server = start_postgres(tmp_path_factory.mktemp("postgres"))
    except DaemonError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """A Redis server for the session."""
    try:
        server = start_redis(tmp_path_factory.mktemp("redis"))
    except DaemonError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def pg_database(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    """SQLAlchemy URL of a new, empty database for this test."""
    return postgres.create_database(request.node.name[:16])


@pytest.fixture
def namespace() -> str:
    """A Redis key namespace (and advisory lock name) no other test uses."""
    return f"bib-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def lease_api(tmp_path: Path) -> Iterator[LeaseApi]:
    """The Lease API double, over HTTPS on loopback."""
    api = LeaseApi(tmp_path / "kube").start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def seeded(registry: RunningRegistry) -> SeededImages:
    """``python`` and ``alpine`` pushed once per session to the shared registry."""
    return seed_images(registry)
