"""Kubernetes and compose files: they parse and agree with the code and with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.config import ServiceSettings, load_settings, validate
from bot.configload import parse_yaml
from bot.service.http import HEALTH_PATH, METRICS_PATH, READY_PATH
from bot.service.runner import FINAL_GRACE
from bot.sharding import COUNT_ENV, INDEX_ENV

ROOT = Path(__file__).resolve().parent.parent.parent
KUBE = ROOT / "deploy" / "kubernetes"
DEPLOY = ROOT / "deploy"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _kind(kind: str) -> dict[str, Any]:
    for path in sorted(KUBE.glob("*.yaml")):
        for doc in _docs(path):
            if doc.get("kind") == kind:
                return doc
    raise AssertionError(f"no {kind} in {KUBE}")


def _pod(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec["template"]["spec"]
    assert isinstance(pod, dict)
    return pod


def _image_in_dockerfile_port() -> int:
    match = re.search(r"(?m)^EXPOSE (\d+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert match
    return int(match.group(1))


def _configmap_settings() -> Any:
    text = _kind("ConfigMap")["data"]["config.yaml"]
    document = parse_yaml(text.encode(), origin="configmap")
    validate(document.data, document.positions)
    return document.data


def test_every_manifest_parses_and_uses_one_image() -> None:
    images = set()
    for path in sorted(KUBE.glob("*.yaml")):
        for doc in _docs(path):
            assert {"apiVersion", "kind"} <= set(doc), path
            if doc["kind"] in ("Deployment", "CronJob", "Job"):
                images |= {c["image"] for c in _pod(doc)["containers"]}
    compose = _docs(DEPLOY / "docker-compose.yml")[0]
    images.add(compose["services"]["bot"]["image"])
    assert len(images) == 1
    (image,) = images
    assert re.fullmatch(r"[a-z0-9./-]+/base-image-bot:\d+\.\d+\.\d+", image)


def test_deployment_probes_ports_and_hardening_match_the_service() -> None:
    deployment = _kind("Deployment")
    pod = _pod(deployment)
    (container,) = pod["containers"]
    config = _configmap_settings()
    port = config["service"]["port"]
    assert port == _image_in_dockerfile_port() == ServiceSettings().port
    assert config["service"]["host"] == "0.0.0.0"
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"] == {"path": HEALTH_PATH, "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": READY_PATH, "port": "http"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == METRICS_PATH
    assert annotations["prometheus.io/port"] == str(port)
    assert container["args"] == ["serve"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert {"requests", "limits"} <= set(container["resources"])
    grace = config["service"]["shutdown_timeout"] + min(
        FINAL_GRACE, config["service"]["shutdown_timeout"]
    )
    assert pod["terminationGracePeriodSeconds"] > grace
    service = _kind("Service")
    assert service["spec"]["ports"][0]["port"] == port


def test_tokens_come_from_the_secret_and_config_from_the_configmap() -> None:
    secret = _kind("Secret")
    config = _configmap_settings()
    env_names = {config["service"]["webhook_secret_env"], "GITHUB_TOKEN"}
    assert env_names == set(secret["stringData"])
    for kind in ("Deployment", "CronJob", "Job"):
        pod = _pod(_kind(kind))
        (container,) = pod["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
        assert env["BASE_IMAGE_BOT_CONFIG"] == f"{mount['mountPath']}/config.yaml"
        volume = next(v for v in pod["volumes"] if v["name"] == "config")
        assert volume["configMap"]["name"] == _kind("ConfigMap")["metadata"]["name"]
        state = next(m for m in container["volumeMounts"] if m["name"] == "state")
        assert state["mountPath"] == config["state_dir"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_cronjob_and_indexed_job_run_one_shot_passes() -> None:
    cron = _kind("CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert _pod(cron)["containers"][0]["args"][0] == "run"
    job = _kind("Job")
    assert job["spec"]["completionMode"] == "Indexed"
    container = _pod(job)["containers"][0]
    assert container["args"][0] == "run"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert INDEX_ENV not in env  # Kubernetes sets it for each index
    assert int(env[COUNT_ENV]) == job["spec"]["completions"]


def test_compose_serves_on_the_same_port_with_an_optional_postgres_store() -> None:
    compose = _docs(DEPLOY / "docker-compose.yml")[0]
    bot = compose["services"]["bot"]
    port = _image_in_dockerfile_port()
    assert bot["ports"] == [f"{port}:{port}"]
    assert bot["read_only"] is True
    assert bot["command"] == ["serve"]
    assert f"127.0.0.1:{port}{READY_PATH}" in " ".join(bot["healthcheck"]["test"])
    source = bot["volumes"][0].split(":")[0]
    settings = load_settings((DEPLOY / source).resolve(), environ={})
    assert (settings.service.host, settings.service.port) == ("0.0.0.0", port)
    override = _docs(DEPLOY / "docker-compose.postgres.yml")[0]
    store = override["services"]["bot"]["environment"]["BASE_IMAGE_BOT_SCHEDULE__JOB_STORE"]
    assert store.startswith("postgresql+psycopg://")
    assert override["services"]["bot"]["build"]["args"]["EXTRAS"] == "postgres"
    assert re.fullmatch(
        r"postgres:[\d.]+-\w+@sha256:[0-9a-f]{64}", override["services"]["db"]["image"]
    )
