"""Leader election with a Kubernetes ``Lease`` (coordination.k8s.io/v1), from inside a pod.

The protocol is client-go's leader election (``tools/leaderelection/leaderelection.go``,
kubernetes/client-go@9a8caafaa5b520682d68111828b297eab42bcab8, ``tryAcquireOrRenew``):

* GET the Lease; absent (404) → POST one naming this replica as holder;
* held by another replica → wait until ``lease_seconds`` have passed since *this replica saw the
  record change* (its own clock, never the holder's timestamps), then take it over with a PUT;
* the holder renews (PUT, new ``renewTime``) every ``interval`` seconds; every PUT carries the
  ``metadata.resourceVersion`` that was read, so of two replicas racing, the API server accepts
  one and answers the other ``409 Conflict``;
* a holder that has not renewed for ``renew_deadline`` (2/3 of the lease) steps down, before any
  other replica may take the Lease; a stopping holder empties ``holderIdentity`` so the next one
  takes over at its next attempt.

Object and error shapes: Kubernetes API reference "Lease" (kubernetes/website
content/en/docs/reference/kubernetes-api/cluster-resources/lease-v1.md), a recorded Lease in
content/en/docs/concepts/architecture/leases.md; ``renewTime``/``acquireTime`` are MicroTime
(RFC 3339 with microseconds, ``2023-07-04T21:58:48.065888Z``). The API server is reached as
documented for pods ("Accessing the Kubernetes API from a Pod", kubernetes/website
content/en/docs/tasks/run-application/access-api-from-pod.md): ``https://$KUBERNETES_SERVICE_HOST:
$KUBERNETES_SERVICE_PORT``, the service-account token as a bearer token (read again for every
request: the kubelet rotates it), the cluster CA from ``ca.crt``, the namespace from ``namespace``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bot.errors import ClusterError

logger = logging.getLogger(__name__)

API = "/apis/coordination.k8s.io/v1"
#: Seconds one API request may take (connect, read).
TIMEOUT = (3.0, 5.0)


@dataclass(frozen=True)
class InCluster:
    """Where the API server is and how this pod authenticates to it."""

    api_url: str
    token_path: Path
    ca_path: Path
    namespace: str

    def token(self) -> str:
        """The current service-account token."""
        try:
            return self.token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ClusterError(f"cannot read the service-account token {self.token_path}: "
                               f"{exc.strerror}") from exc  # fmt: skip


def in_cluster(environ: Mapping[str, str], account_dir: str) -> bool:
    """True when this process runs in a pod with a mounted service-account token."""
    return bool(environ.get("KUBERNETES_SERVICE_HOST")) and (Path(account_dir) / "token").is_file()


def in_cluster_config(
    environ: Mapping[str, str], account_dir: str, namespace: str | None = None
) -> InCluster:
    """The in-cluster API address and credentials; ClusterError naming what is missing."""
    host = environ.get("KUBERNETES_SERVICE_HOST", "")
    port = environ.get("KUBERNETES_SERVICE_PORT", "443")
    directory = Path(account_dir)
    if not host:
        raise ClusterError("cluster.election kubernetes: KUBERNETES_SERVICE_HOST is not set "
                           "(not running in a pod?)")  # fmt: skip
    if not (directory / "token").is_file():
        raise ClusterError(f"cluster.election kubernetes: no service-account token in {directory} "
                           "(automountServiceAccountToken: true?)")  # fmt: skip
    if namespace is None:
        try:
            namespace = (directory / "namespace").read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ClusterError(f"cluster.lease_namespace: not set and {directory / 'namespace'} "
                               f"unreadable: {exc.strerror}") from exc  # fmt: skip
    host = f"[{host}]" if ":" in host else host  # an IPv6 service address
    return InCluster(f"https://{host}:{port}", directory / "token", directory / "ca.crt", namespace)


def micro_time(moment: datetime) -> str:
    """A Kubernetes MicroTime: RFC 3339, UTC, six fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Conflict(Exception):
    """409: another replica changed or created the Lease first."""


class LeaseElector:
    """:class:`bot.cluster.election.Elector` on a Lease."""

    def __init__(
        self,
        config: InCluster,
        name: str,
        identity: str,
        lease_seconds: float,
        session: requests.Session | None = None,
    ) -> None:
        self.identity = identity
        self.description = f"Lease {config.namespace}/{name}"
        self.lease_seconds = lease_seconds
        #: client-go's defaults are 15 s lease, 10 s renew deadline, 2 s retry period.
        self.interval = max(0.5, lease_seconds / 7.5)
        self.renew_deadline = lease_seconds * 2 / 3
        self._config = config
        self._url = f"{config.api_url}{API}/namespaces/{config.namespace}/leases"
        self._name = name
        self._session = session or requests.Session()
        # The cluster's CA, never one from the environment; no proxy between pod and API server.
        self._session.trust_env = False
        self._session.verify = str(config.ca_path) if config.ca_path.is_file() else True
        self._observed: tuple[object, ...] | None = None
        self._observed_at = 0.0
        self._leading = False
        self._renewed_at = 0.0
        self._last_error = ""

    def acquire(self) -> bool:
        """One round of client-go's ``tryAcquireOrRenew``."""
        now = time.monotonic()
        try:
            leading = self._try(now)
        except _Conflict:
            leading = False
        except (requests.RequestException, ClusterError, ValueError) as exc:
            self._report(str(exc))
            # A transient failure: a leader keeps leading until its renew deadline, counted to
            # now, after the failed requests' own time (they may have waited for their timeouts).
            elapsed = time.monotonic() - self._renewed_at
            leading = self._leading and elapsed < self.renew_deadline
        else:
            self._last_error = ""
        self._leading = leading
        return leading

    def release(self) -> None:
        """Empty ``holderIdentity`` (if this replica still holds the Lease)."""
        if not self._leading:
            return
        self._leading = False
        try:
            lease = self._get()
            if lease is None or _spec(lease).get("holderIdentity") != self.identity:
                return
            spec = _spec(lease)
            lease["spec"] = {
                "leaseDurationSeconds": spec.get("leaseDurationSeconds", int(self.lease_seconds)),
                "leaseTransitions": spec.get("leaseTransitions", 0),
            }
            self._put(lease)
        except (_Conflict, requests.RequestException, ClusterError, ValueError) as exc:
            logger.info("releasing %s failed (it expires instead): %s", self.description, exc)

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def _try(self, now: float) -> bool:
        lease = self._get()
        stamp = micro_time(datetime.now(UTC))
        if lease is None:
            self._create(stamp)
            self._renewed_at = now
            return True
        spec = _spec(lease)
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("acquireTime"),
                  spec.get("leaseDurationSeconds"), spec.get("leaseTransitions"))  # fmt: skip
        if record != self._observed:
            self._observed = record
            self._observed_at = now
        if holder and holder != self.identity:
            if self._observed_at + self.lease_seconds > now:
                return False  # held, and not yet expired by this replica's clock
            logger.info("%s: holder %s stopped renewing: taking over", self.description, holder)
        transitions = int(spec.get("leaseTransitions") or 0)
        lease["spec"] = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_seconds),
            "acquireTime": spec.get("acquireTime") if holder == self.identity else stamp,
            "renewTime": stamp,
            "leaseTransitions": transitions if holder == self.identity else transitions + 1,
        }
        self._put(lease)
        self._renewed_at = now
        return True

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._config.token()}", "Accept": "application/json"}

    def _get(self) -> dict[str, Any] | None:
        reply = self._session.get(
            f"{self._url}/{self._name}", headers=self._headers(), timeout=TIMEOUT
        )
        if reply.status_code == 404:
            return None
        return self._object(reply)

    def _create(self, stamp: str) -> None:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self._name,
                "namespace": self._config.namespace,
                "labels": {"app.kubernetes.io/name": "base-image-bot"},
            },
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": int(self.lease_seconds),
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": 0,
            },
        }
        self._object(self._session.post(self._url, json=body, headers=self._headers(),
                                        timeout=TIMEOUT))  # fmt: skip

    def _put(self, lease: dict[str, Any]) -> None:
        self._object(self._session.put(f"{self._url}/{self._name}", json=lease,
                                       headers=self._headers(), timeout=TIMEOUT))  # fmt: skip

    def _object(self, reply: requests.Response) -> dict[str, Any]:
        if reply.status_code == 409:
            raise _Conflict()
        if reply.status_code in (401, 403):
            raise ClusterError(
                f"{self.description}: {reply.status_code} {_status_message(reply)} (the service "
                "account needs get, create and update on leases.coordination.k8s.io)"
            )
        if reply.status_code not in (200, 201):
            raise ClusterError(f"{self.description}: {reply.status_code} {_status_message(reply)}")
        value = reply.json()
        if not isinstance(value, dict) or value.get("kind") != "Lease":
            raise ClusterError(f"{self.description}: the API server did not answer with a Lease")
        return value

    def _report(self, message: str) -> None:
        if message != self._last_error:
            logger.warning("leader election: %s", message)
        self._last_error = message


def _spec(lease: Mapping[str, Any]) -> dict[str, Any]:
    spec = lease.get("spec")
    return dict(spec) if isinstance(spec, Mapping) else {}


def _status_message(reply: requests.Response) -> str:
    """The ``message`` of a Kubernetes ``Status`` answer (bounded), else the reason phrase."""
    try:
        status = reply.json()
    except ValueError:
        return reply.reason or ""
    message = status.get("message") if isinstance(status, dict) else None
    return str(message)[:300] if message else (reply.reason or "")
