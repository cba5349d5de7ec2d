"""Kubernetes and compose files: they parse, pass the Kubernetes and compose schemas, agree with
the code and with each other, and pin the released image by tag and digest (scripts/pin_image.py).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.config import ServiceSettings, load_settings, validate
from bot.configload import parse_yaml
from bot.service.http import HEALTH_PATH, METRICS_PATH, READY_PATH
from bot.service.runner import FINAL_GRACE
from bot.sharding import COUNT_ENV, INDEX_ENV

ROOT = Path(__file__).resolve().parent.parent.parent
KUBE = ROOT / "deploy" / "kubernetes"
DEPLOY = ROOT / "deploy"
IMAGE = "ghcr.io/base-image-bot/base-image-bot"
#: the oldest Kubernetes minor the manifests promise to work on (deploy/README.md)
KUBERNETES = "1.30.0"
DIGEST = "sha256:" + "0123456789abcdef" * 4


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
    action = yaml.safe_load((DEPLOY / "github-action" / "action.yml").read_text(encoding="utf-8"))
    images.add(action["inputs"]["image"]["default"])
    assert len(images) == 1
    (image,) = images
    assert re.fullmatch(
        re.escape(IMAGE) + r":\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", image
    ), "the released image by tag (and digest once released): scripts/pin_image.py"


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


def _kustomization() -> dict[str, Any]:
    document = _docs(KUBE / "kustomization.yaml")[0]
    assert document["kind"] == "Kustomization"
    return document


def test_tokens_come_from_a_generated_secret_and_config_from_the_configmap() -> None:
    (generator,) = _kustomization()["secretGenerator"]
    config = _configmap_settings()
    env_names = {config["service"]["webhook_secret_env"], "GITHUB_TOKEN"}
    example = (KUBE / "tokens.env.example").read_text(encoding="utf-8").splitlines()
    entries = [line for line in example if "=" in line and not line.startswith("#")]
    keys = {line.split("=")[0]: line.split("=", 1)[1] for line in entries}
    assert set(keys) == env_names
    assert set(keys.values()) == {""}  # no placeholder a careless apply could ship
    for kind in ("Deployment", "CronJob", "Job"):
        pod = _pod(_kind(kind))
        (container,) = pod["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": generator["name"]}}]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
        assert env["BASE_IMAGE_BOT_CONFIG"] == f"{mount['mountPath']}/config.yaml"
        volume = next(v for v in pod["volumes"] if v["name"] == "config")
        assert volume["configMap"]["name"] == _kind("ConfigMap")["metadata"]["name"]
        state = next(m for m in container["volumeMounts"] if m["name"] == "state")
        assert state["mountPath"] == config["state_dir"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_kustomization_never_carries_a_secret_value() -> None:
    kustomization = _kustomization()
    (generator,) = kustomization["secretGenerator"]
    assert set(generator) == {"name", "envs", "options"}  # no literals, no files with values
    assert generator["options"]["disableNameSuffixHash"] is True  # the Jobs refer to it by name
    (env_file,) = generator["envs"]
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"deploy/kubernetes/{env_file}" in ignored
    tracked = subprocess.run(
        ["git", "ls-files", "--", f"deploy/kubernetes/{env_file}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert tracked == ""
    for resource in kustomization["resources"]:
        kinds = {doc["kind"] for doc in _docs(KUBE / resource)}
        assert "Secret" not in kinds, resource
    assert not any(doc.get("kind") == "Secret" for p in KUBE.glob("*.yaml") for doc in _docs(p))


def _manifests() -> list[Path]:
    return sorted(p for p in KUBE.glob("*.yaml") if p.name != "kustomization.yaml")


def test_manifests_pass_strict_kubernetes_schemas() -> None:
    for path in _manifests():
        for doc in _docs(path):
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_compose_files_pass_the_compose_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(p) for p in sorted(DEPLOY.glob("docker-compose*.yml"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _pin_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pin_image", ROOT / "scripts" / "pin_image.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _image_references(deploy: Path) -> list[str]:
    found = []
    for path in sorted(deploy.rglob("*.y*ml")):
        found += re.findall(re.escape(IMAGE) + r"[^\s\"']*", path.read_text(encoding="utf-8"))
    return found


def test_release_pinning_moves_tag_and_digest_of_every_reference(tmp_path: Path) -> None:
    pin = _pin_module()
    before = _image_references(DEPLOY)
    assert len(before) >= 5  # Deployment, CronJob, Indexed Job, compose, the Action's image
    out = tmp_path / "deploy"
    assert pin.main(["--tag", "9.8.7", "--digest", DIGEST, "--output", str(out)]) == 0
    after = _image_references(out)
    assert after == [f"{IMAGE}:9.8.7@{DIGEST}"] * len(before)
    again = tmp_path / "again"
    assert (
        pin.main(
            ["--tag", "9.8.8", "--digest", DIGEST, "--deploy", str(out), "--output", str(again)]
        )
        == 0
    )
    assert set(_image_references(again)) == {f"{IMAGE}:9.8.8@{DIGEST}"}
    for path in sorted((out / "kubernetes").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            for doc in _docs(path):
                kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    action = yaml.safe_load((out / "github-action" / "action.yml").read_text(encoding="utf-8"))
    assert action["inputs"]["image"]["default"] == f"{IMAGE}:9.8.7@{DIGEST}"
    assert _image_references(DEPLOY) == before  # the repository's files are untouched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "1.0.0", "--digest", "sha256:abc"], "is not sha256:<64 lowercase hex>"),
        (["--tag", "bad tag", "--digest", DIGEST], "is not a valid image tag"),
    ],
)
def test_release_pinning_refuses_bad_references(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _pin_module().main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


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
