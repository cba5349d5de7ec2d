"""The distributed deployment files: Kubernetes (deploy/kubernetes/cluster) and compose
(deploy/docker-compose.cluster.yml) pass their schemas and agree with the code and each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from bot.config import ClusterSettings, load_settings, validate
from bot.configload import parse_yaml
from bot.service.http import HEALTH_PATH, READY_PATH

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
CLUSTER = DEPLOY / "kubernetes" / "cluster"
KUBERNETES = "1.30.0"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _all() -> list[dict[str, Any]]:
    kustomization = _docs(CLUSTER / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in _docs(CLUSTER / name)]


def _one(kind: str, name: str = "base-image-bot") -> dict[str, Any]:
    (doc,) = [d for d in _all() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _config() -> dict[str, Any]:
    text = _one("ConfigMap", "base-image-bot-config")["data"]["config.yaml"]
    document = parse_yaml(text.encode(), origin="configmap")
    validate(document.data, document.positions)
    data: dict[str, Any] = document.data
    return data


def test_every_cluster_manifest_passes_strict_kubernetes_schemas() -> None:
    listed = set(_docs(CLUSTER / "kustomization.yaml")[0]["resources"])
    assert listed == {p.name for p in CLUSTER.glob("*.yaml")} - {"kustomization.yaml"}
    for doc in _all():
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_replicas_elect_on_a_lease_they_may_read_create_and_update() -> None:
    cluster = _config()["cluster"]
    assert cluster["enabled"] is True
    assert cluster["election"] == "kubernetes"
    deployment = _one("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] >= 3
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert pod["automountServiceAccountToken"] is True
    account = _one("ServiceAccount")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    binding = _one("RoleBinding", "base-image-bot-leader-election")
    role = _one("Role", binding["roleRef"]["name"])
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"]}]
    granted: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert rule["apiGroups"] == ["coordination.k8s.io"]
        assert rule["resources"] == ["leases"]
        for name in rule.get("resourceNames", ["*"]):
            granted.setdefault(name, set()).update(rule["verbs"])
    # What bot/cluster/lease.py sends: GET and PUT on its Lease, POST to create it; no more.
    assert granted == {"*": {"create"}, cluster["lease_name"]: {"get", "update"}}
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert container["readinessProbe"]["httpGet"]["path"] == READY_PATH
    assert container["livenessProbe"]["httpGet"]["path"] == HEALTH_PATH
    budget = _one("PodDisruptionBudget")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]


def test_the_queue_is_the_redis_service_with_the_secret_password() -> None:
    cluster = _config()["cluster"]
    service = _one("Service", "base-image-bot-redis")
    port = service["spec"]["ports"][0]["port"]
    assert cluster["queue_url"] == f"redis://{service['metadata']['name']}:{port}/0"
    redis = _one("Deployment", "base-image-bot-redis")
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-\w+", container["image"])
    secret_env = next(e for e in container["env"] if e["name"] == "REDIS_PASSWORD")
    (generator,) = _docs(CLUSTER / "kustomization.yaml")[0]["secretGenerator"]
    assert secret_env["valueFrom"]["secretKeyRef"]["name"] == generator["name"]
    example = (CLUSTER / "tokens.env.example").read_text(encoding="utf-8")
    keys = {line.split("=")[0] for line in example.splitlines() if "=" in line and line[0] != "#"}
    assert keys == {"GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET", cluster["queue_password_env"]}
    policy = _one("NetworkPolicy", "base-image-bot-redis")
    allowed = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert allowed == _one("Deployment")["spec"]["selector"]["matchLabels"]
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/kubernetes/cluster/tokens.env" in ignored


def test_compose_starts_the_same_with_postgresql_elections() -> None:
    compose = _docs(DEPLOY / "docker-compose.cluster.yml")[0]
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == 3
    assert set(bot["build"]["args"]["EXTRAS"].split(",")) == {"postgres", "cluster"}
    assert {"db", "redis"} <= set(bot["depends_on"])
    source = bot["volumes"][0].split(":")[0]
    settings = load_settings((DEPLOY / source).resolve(), environ={
        "BASE_IMAGE_BOT_SCHEDULE__JOB_STORE": bot["environment"][
            "BASE_IMAGE_BOT_SCHEDULE__JOB_STORE"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x"),
    })  # fmt: skip
    cluster: ClusterSettings = settings.cluster
    assert cluster.enabled
    assert cluster.election == "postgresql"
    assert cluster.queue_url == "redis://redis:6379/0"
    assert settings.schedule.job_store is not None
    assert settings.schedule.job_store.startswith("postgresql+psycopg://bot:x@db:5432/")
    assert cluster.queue_password_env in bot["environment"]
    assert "REDISCLI_AUTH" in compose["services"]["redis"]["environment"]
