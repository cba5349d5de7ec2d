"""A Kubernetes API server double for ``coordination.k8s.io/v1`` Leases, over HTTPS on loopback.

No kube-apiserver can be installed here, so this models the part leader election uses, from:

* the API reference "Lease" (kubernetes/website
  content/en/docs/reference/kubernetes-api/cluster-resources/lease-v1.md): GET/PUT
  ``/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}`` (200), POST
  ``.../namespaces/{ns}/leases`` (201), 401 without a valid token;
* a recorded Lease (content/en/docs/concepts/architecture/leases.md, ``kubectl -n kube-system get
  lease apiserver-07a5ea9b9b072c4a5f3d1c3702 -o yaml``): ``metadata.resourceVersion`` is a string,
  ``spec.renewTime`` a MicroTime ``2023-07-04T21:58:48.065888Z`` (kept in
  ``tests/data/kubernetes/lease-apiserver.json`` and served by :meth:`LeaseApi.seed`);
* optimistic concurrency ("API concepts", content/en/docs/reference/using-api/api-concepts.md,
  "Resource versions"): a PUT whose ``resourceVersion`` is not the stored one gets ``409
  Conflict`` with the message the API server uses ("Operation cannot be fulfilled on
  leases.coordination.k8s.io "NAME": the object has been modified; please apply your changes to
  the latest version and try again"); a POST of an existing name gets ``409 AlreadyExists``; a
  PUT without ``resourceVersion`` gets ``422 Invalid`` ("metadata.resourceVersion: Invalid value:
  0: must be specified for an update"); a missing Lease is ``404 NotFound``. Errors are
  ``Status`` objects (``kind``, ``apiVersion: v1``, ``status: Failure``, ``message``, ``reason``,
  ``details {name, group, kind}``, ``code``), as recorded in the API concepts page;
* RBAC refusals: ``403 Forbidden``, message ``leases.coordination.k8s.io "NAME" is forbidden:
  User "system:serviceaccount:NS:SA" cannot update resource "leases" in API group
  "coordination.k8s.io" in the namespace "NS"`` (the authorizer's wording).

:meth:`LeaseApi.service_account` writes what the kubelet mounts into a pod (``token``,
``ca.crt``, ``namespace``) and :meth:`LeaseApi.environ` the ``KUBERNETES_SERVICE_*`` variables.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.ports import LOOPBACK

GROUP = "coordination.k8s.io"
_PATH = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([a-z0-9-]+)/leases(?:/([^/?]+))?$")
_MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
VERBS = frozenset({"get", "create", "update"})


def _status(code: int, reason: str, message: str, name: str = "") -> dict[str, Any]:
    status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": message, "reason": reason,
                              "code": code}  # fmt: skip
    if name:
        status["details"] = {"name": name, "group": GROUP, "kind": "leases"}
    return status


class LeaseApi:
    """The double: Leases by (namespace, name), tokens with their allowed verbs."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.leases: dict[tuple[str, str], dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, frozenset[str]]] = {}  # token → (account, verbs)
        self.requests: list[tuple[str, str, int]] = []
        self.fail_next: list[int] = []  # statuses to answer the next requests with (then normal)
        self.delay = 0.0  # seconds every answer waits (a slow API server or network)
        self.lock = threading.Lock()
        self._version = 1000
        self.ca_path = workdir / "ca.crt"
        context = self._tls(workdir)
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LeaseApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def environ(self) -> dict[str, str]:
        """What Kubernetes sets in every container."""
        return {"KUBERNETES_SERVICE_HOST": LOOPBACK, "KUBERNETES_SERVICE_PORT": str(self.port)}

    def service_account(
        self, name: str, namespace: str = "bots", verbs: Iterable[str] = VERBS
    ) -> Path:
        """A directory as the kubelet mounts it for service account ``name``; its token is
        granted ``verbs`` on leases."""
        token = f"sa-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens[token] = (f"system:serviceaccount:{namespace}:{name}", frozenset(verbs))
        directory = self.workdir / f"sa-{name}-{uuid.uuid4().hex[:6]}"
        directory.mkdir()
        (directory / "token").write_text(token)
        (directory / "namespace").write_text(namespace)
        (directory / "ca.crt").write_bytes(self.ca_path.read_bytes())
        return directory

    # -- state ----------------------------------------------------------------------------------
    def seed(self, lease: dict[str, Any]) -> None:
        """Store a recorded Lease object as it is."""
        meta = lease["metadata"]
        with self.lock:
            self.leases[(meta["namespace"], meta["name"])] = json.loads(json.dumps(lease))

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            lease = self.leases.get((namespace, name))
            return json.loads(json.dumps(lease)) if lease else None

    def holder(self, namespace: str, name: str) -> str:
        lease = self.get(namespace, name) or {}
        return str(lease.get("spec", {}).get("holderIdentity") or "")

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    # -- requests ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            reply = self._handle(method, path, token, body)
            self.requests.append((method, path, reply[0]))
            return reply

    def _handle(self, method: str, path: str, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        if self.fail_next:
            code = self.fail_next.pop(0)
            return code, _status(code, "InternalError", "etcdserver: request timed out")
        match = _PATH.match(path)
        if match is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        namespace, name = match.group(1), match.group(2)
        if token not in self.tokens:
            return 401, _status(401, "Unauthorized", "Unauthorized")
        verb = {"GET": "get", "POST": "create", "PUT": "update"}.get(method, method.lower())
        if name is None and isinstance(body, dict):
            name = str(body.get("metadata", {}).get("name", ""))
        account, verbs = self.tokens[token]
        if verb not in verbs:
            message = (f'leases.coordination.k8s.io "{name}" is forbidden: User "{account}" '
                       f'cannot {verb} resource "leases" in API group "{GROUP}" in the namespace '
                       f'"{namespace}"')  # fmt: skip
            return 403, _status(403, "Forbidden", message, name or "")
        key = (namespace, name or "")
        if method == "GET" and match.group(2):
            lease = self.leases.get(key)
            if lease is None:
                return 404, _status(404, "NotFound", f'leases.{GROUP} "{name}" not found', name)
            return 200, lease
        if method == "POST" and not match.group(2):
            if key in self.leases:
                return 409, _status(409, "AlreadyExists", f'leases.{GROUP} "{name}" already exists',
                                     name)  # fmt: skip
            invalid = _invalid(body)
            if invalid:
                return 422, _status(422, "Invalid", f'Lease.{GROUP} "{name}" is invalid: {invalid}',
                                    name)  # fmt: skip
            lease = {"kind": "Lease", "apiVersion": f"{GROUP}/v1", "metadata": {
                **{k: v for k, v in body.get("metadata", {}).items() if k in ("name", "labels")},
                "namespace": namespace, "uid": str(uuid.uuid4()),
                "resourceVersion": self._next_version(),
                "creationTimestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }, "spec": body.get("spec", {})}  # fmt: skip
            self.leases[key] = lease
            return 201, lease
        if method == "PUT" and match.group(2):
            lease = self.leases.get(key)
            if lease is None:
                return 404, _status(404, "NotFound", f'leases.{GROUP} "{name}" not found', name)
            version = (
                body.get("metadata", {}).get("resourceVersion") if isinstance(body, dict) else None
            )
            if not version:
                message = (f'leases.{GROUP} "{name}" is invalid: metadata.resourceVersion: '
                           "Invalid value: 0: must be specified for an update")  # fmt: skip
                return 422, _status(422, "Invalid", message, name)
            if version != lease["metadata"]["resourceVersion"]:
                message = (f'Operation cannot be fulfilled on leases.{GROUP} "{name}": the object '
                           "has been modified; please apply your changes to the latest version "
                           "and try again")  # fmt: skip
                return 409, _status(409, "Conflict", message, name)
            invalid = _invalid(body)
            if invalid:
                return 422, _status(422, "Invalid", f'Lease.{GROUP} "{name}" is invalid: {invalid}',
                                    name)  # fmt: skip
            lease["spec"] = body.get("spec", {})
            lease["metadata"]["resourceVersion"] = self._next_version()
            return 200, lease
        return 405, _status(405, "MethodNotAllowed", "the server does not allow this method")

    @staticmethod
    def _tls(workdir: Path) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (workdir / "server.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))  # fmt: skip
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(workdir / "ca.crt", workdir / "server.key")
        return context


def _invalid(body: Any) -> str:
    """Why a Lease body fails validation (empty when it is fine)."""
    if not isinstance(body, dict) or body.get("kind") != "Lease":
        return "kind: Required value"
    spec = body.get("spec", {})
    if not isinstance(spec, dict):
        return "spec: Invalid value"
    for field in ("acquireTime", "renewTime"):
        value = spec.get(field)
        if value is not None and not (isinstance(value, str) and _MICRO_TIME.match(value)):
            return f"spec.{field}: Invalid value: {value!r}: not a MicroTime"
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and (not isinstance(duration, int) or duration <= 0):
        return f"spec.leaseDurationSeconds: Invalid value: {duration!r}: must be greater than 0"
    return ""


class _Handler(BaseHTTPRequestHandler):
    api: LeaseApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        status, reply = self.api.handle(self.command, self.path.split("?", 1)[0], token, body)
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve
