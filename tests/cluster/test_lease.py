"""Leader election on a Kubernetes Lease, against the Lease API double (HTTPS, tokens, RBAC)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from bot.cluster.lease import InCluster, LeaseElector, in_cluster, in_cluster_config
from bot.errors import ClusterError
from tests.support.kubelease import LeaseApi

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1.0


def _elector(api: LeaseApi, name: str, *, account: Path | None = None) -> LeaseElector:
    account = account or api.service_account("bot")
    config = in_cluster_config(api.environ(), str(account))
    return LeaseElector(config, "base-image-bot", name, LEASE_SECONDS)


def test_in_cluster_configuration_comes_from_the_pod(lease_api: LeaseApi) -> None:
    account = lease_api.service_account("bot", namespace="tools")
    assert in_cluster(lease_api.environ(), str(account))
    assert not in_cluster({}, str(account))
    config = in_cluster_config(lease_api.environ(), str(account))
    assert config == InCluster(
        f"https://127.0.0.1:{lease_api.port}", account / "token", account / "ca.crt", "tools"
    )
    assert in_cluster_config(lease_api.environ(), str(account), "other").namespace == "other"
    with pytest.raises(ClusterError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_config({}, str(account))
    with pytest.raises(ClusterError, match="automountServiceAccountToken"):
        in_cluster_config(lease_api.environ(), str(account / "missing"))


def test_the_first_replica_creates_the_lease_and_renews_it(lease_api: LeaseApi) -> None:
    leader = _elector(lease_api, "a")
    assert leader.acquire()
    first = lease_api.get("bots", "base-image-bot")
    assert first is not None
    assert first["spec"]["holderIdentity"] == "a"
    assert first["spec"]["leaseTransitions"] == 0
    assert first["spec"]["leaseDurationSeconds"] == 1  # int32 seconds
    assert first["metadata"]["labels"] == {"app.kubernetes.io/name": "base-image-bot"}
    time.sleep(0.01)
    assert leader.acquire()
    second = lease_api.get("bots", "base-image-bot")
    assert second is not None
    assert second["spec"]["renewTime"] > first["spec"]["renewTime"]
    assert second["spec"]["acquireTime"] == first["spec"]["acquireTime"]
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert [r[0] for r in lease_api.requests] == ["GET", "POST", "GET", "PUT"]


def test_a_held_lease_changes_hands_only_after_it_expires(lease_api: LeaseApi) -> None:
    leader, follower = _elector(lease_api, "a"), _elector(lease_api, "b")
    assert leader.acquire()
    started = time.monotonic()
    while time.monotonic() - started < LEASE_SECONDS * 1.2:  # renewed: never taken
        assert leader.acquire()
        assert not follower.acquire()
        time.sleep(0.2)
    stopped = time.monotonic()  # the leader dies: no more renewals
    while not follower.acquire():
        time.sleep(0.1)
        assert time.monotonic() - stopped < LEASE_SECONDS + 2
    assert time.monotonic() - stopped >= LEASE_SECONDS - 0.3
    lease = lease_api.get("bots", "base-image-bot")
    assert lease is not None
    assert (lease["spec"]["holderIdentity"], lease["spec"]["leaseTransitions"]) == ("b", 1)
    assert not leader.acquire()  # the old leader sees the new holder and stays a follower


def test_racing_replicas_elect_exactly_one(lease_api: LeaseApi) -> None:
    electors = [_elector(lease_api, f"r{i}") for i in range(4)]

    def run(elector: LeaseElector, barrier: threading.Barrier, results: dict[str, bool]) -> None:
        barrier.wait()
        results[elector.identity] = elector.acquire()

    for _ in range(3):
        results: dict[str, bool] = {}
        barrier = threading.Barrier(len(electors))
        threads = [threading.Thread(target=run, args=(e, barrier, results)) for e in electors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [name for name, won in results.items() if won]
        assert len(winners) == 1, results
        assert lease_api.holder("bots", "base-image-bot") == winners[0]
        next(e for e in electors if e.identity == winners[0]).release()
    assert any(code == 409 for _, _, code in lease_api.requests)  # the losers' PUT or POST


def test_release_hands_over_at_once(lease_api: LeaseApi) -> None:
    leader, follower = _elector(lease_api, "a"), _elector(lease_api, "b")
    assert leader.acquire()
    assert not follower.acquire()
    leader.release()
    assert lease_api.holder("bots", "base-image-bot") == ""
    assert follower.acquire()


def test_transient_errors_keep_a_leader_until_its_renew_deadline(lease_api: LeaseApi) -> None:
    leader = _elector(lease_api, "a")
    assert leader.acquire()
    lease_api.fail_next = [500] * 100
    assert leader.acquire()  # within the renew deadline (2/3 of the lease)
    time.sleep(LEASE_SECONDS * 2 / 3 + 0.1)
    assert not leader.acquire()


def test_a_renewal_failing_slowly_counts_its_own_time_against_the_renew_deadline(
    lease_api: LeaseApi,
) -> None:
    leader = _elector(lease_api, "a")
    assert leader.acquire()
    lease_api.delay = LEASE_SECONDS  # within the request timeout, beyond the renew deadline
    lease_api.fail_next = [500]
    assert not leader.acquire()  # the deadline passed while the failed request waited


def test_missing_rbac_is_named_and_never_leads(
    lease_api: LeaseApi, caplog: pytest.LogCaptureFixture
) -> None:
    account = lease_api.service_account("bot", verbs={"get"})
    elector = _elector(lease_api, "a", account=account)
    with caplog.at_level(logging.WARNING, logger="bot.cluster.lease"):
        assert not elector.acquire()
        assert not elector.acquire()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1, messages  # the same failure is logged once
    assert 'cannot create resource "leases"' in messages[0]
    assert "needs get, create and update" in messages[0]
    assert lease_api.get("bots", "base-image-bot") is None


def test_a_rotated_token_is_read_again(lease_api: LeaseApi) -> None:
    account = lease_api.service_account("bot")
    elector = _elector(lease_api, "a", account=account)
    assert elector.acquire()
    (account / "token").write_text("revoked")
    assert elector.acquire()  # still within the renew deadline
    assert lease_api.requests[-1][2] == 401
    fresh = lease_api.service_account("bot")
    (account / "token").write_text((fresh / "token").read_text())
    assert elector.acquire()
    assert lease_api.requests[-1][2] == 200


def test_a_recorded_lease_of_another_holder_is_respected(lease_api: LeaseApi) -> None:
    recorded = json.loads((ROOT / "tests/data/kubernetes/lease-apiserver.json").read_text())
    recorded.pop("_source")
    lease_api.seed(recorded)
    account = lease_api.service_account("bot", namespace="kube-system")
    config = in_cluster_config(lease_api.environ(), str(account))
    elector = LeaseElector(config, recorded["metadata"]["name"], "bot_1", LEASE_SECONDS)
    assert not elector.acquire()  # held; expiry is counted from this replica's own observation
    time.sleep(LEASE_SECONDS + 0.1)
    assert elector.acquire()
    lease = lease_api.get("kube-system", recorded["metadata"]["name"])
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == "bot_1"
    assert lease["spec"]["leaseTransitions"] == 1
    assert lease["metadata"]["labels"] == recorded["metadata"]["labels"]  # kept on update
