"""Canary secrets never leak: logs at debug level, errors, every report format, PR bodies.

Canaries: the GitHub token (the emulator accepts it), the Basic-auth registry's real password
and a wrong one (both through ``password_env``), and a webhook secret in the environment
variable the configuration names. The runs go through faults — registry 500s, resets, a 401, a
redirect to another host; GitHub 500s and a secondary rate limit — so error paths are scanned
too. Also: ``Authorization`` never follows a redirect to another host (CLI level).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    ALPINE_OLD,
    CANARY_GITHUB_TOKEN,
    CANARY_REGISTRY_PASSWORD,
    CANARY_WEBHOOK_SECRET,
    PYTHON_NEW,
    PYTHON_OLD,
    Outcome,
    record_stats,
    seed_images,
    write_tree,
)
from tests.support.faultproxy import FaultProxy
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry

PASSWORD_ENV = "BIB_CANARY_REGISTRY_PASSWORD"
WEBHOOK_ENV = "BIB_CANARY_WEBHOOK_SECRET"
FORMATS = ("json", "markdown", "sarif", "table")


def _forms(user: str, secret: str) -> list[str]:
    """Spellings a leaked secret may take: plain, URL-encoded, in a Basic header."""
    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return [secret, quote(secret, safe=""), basic, basic.rstrip("=")]


def _scan(texts: list[str], forms: list[str]) -> list[str]:
    return [
        f"{form!r} in output #{i}" for i, text in enumerate(texts) for form in forms if form in text
    ]


def _config(tmp_path: Path, host: str, user: str) -> Path:
    config = tmp_path / "bot.yaml"
    config.write_text(
        f"registries:\n  '{host}':\n    username: {user}\n    password_env: {PASSWORD_ENV}\n"
        f"service:\n  webhook_secret_env: {WEBHOOK_ENV}\n",
        encoding="utf-8",
    )
    return config


def test_canaries_never_appear_in_any_output(
    registry_basic: RunningRegistry,
    github_emulator: GitHubEmulator,
    cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    credentials = registry_basic.credentials
    assert credentials is not None
    seeded = seed_images(registry_basic)
    github_emulator.add_token(CANARY_GITHUB_TOKEN, github_emulator.login)
    monkeypatch.setenv("GITHUB_TOKEN", CANARY_GITHUB_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv(WEBHOOK_ENV, CANARY_WEBHOOK_SECRET)
    forms = [
        *_forms(credentials.username, credentials.password),
        *_forms(credentials.username, CANARY_REGISTRY_PASSWORD),
        *_forms("x-access-token", CANARY_GITHUB_TOKEN),
        *_forms("", CANARY_WEBHOOK_SECRET),
    ]
    outputs: list[str] = []
    faults = 0
    files = {
        "app/Dockerfile": f"FROM python:{PYTHON_OLD}@{seeded.python[PYTHON_OLD]}\n",
        "svc/Dockerfile": f"FROM python:{PYTHON_OLD}\n",
        "other/Dockerfile": f"FROM alpine:{ALPINE_OLD}\n",
    }
    with FaultProxy(registry_basic.host) as proxy:
        config = _config(tmp_path, proxy.host, credentials.username)
        flags = [
            "--config",
            config,
            "--registry-alias",
            seeded.alias(proxy.host),
            "--insecure-registry",
            proxy.host,
            "--log-level",
            "debug",
        ]
        runs: list[Outcome] = []
        # Local runs, every format, right and wrong password, with registry faults.
        for password, fmt in [(credentials.password, f) for f in FORMATS] + [
            (CANARY_REGISTRY_PASSWORD, "json")
        ]:
            monkeypatch.setenv(PASSWORD_ENV, password)
            proxy.inject("GET", r"/library/alpine/tags/list", status=500, times=None)
            proxy.inject("HEAD", rf"manifests/{PYTHON_NEW}$", action="redirect", host="^127")
            proxy.inject("GET", r"/library/python/tags/list", action="reset")
            tree = write_tree(tmp_path / f"tree-{fmt}-{len(runs)}", files)
            report = tmp_path / f"report-{len(runs)}.{fmt}"
            runs.append(cli("run", tree, *flags, "--format", fmt, "--output", report, "--debug"))
            outputs.append(report.read_text(encoding="utf-8"))
            outputs += [p.read_text("utf-8", "replace") for p in tree.rglob("Dockerfile")]
            faults += proxy.injected()
            proxy.clear()
        assert {r.code for r in runs} == {1}
        # Repository runs with GitHub faults, then a clean one.
        monkeypatch.setenv(PASSWORD_ENV, credentials.password)
        github_emulator.create_repo("acme/app", {k: v.encode() for k, v in files.items()})
        pr_fault = github_emulator.inject("POST", r"/pulls$", 500, times=1000)
        label_fault = github_emulator.inject_secondary_rate_limit("POST", r"/labels$")
        repo_flags = ["run", "--repo", "acme/app", *flags, "--format", "json"]
        runs.append(cli(*repo_flags))
        github_emulator.faults.remove(pr_fault)
        runs.append(cli(*repo_flags, "--log-format", "json"))
        faults += pr_fault.fired + label_fault.fired + proxy.injected()
        runs.append(cli("run", "--dry-run", "--repo", "acme/app", *flags, "--format", "markdown"))
    outputs += [r.out for r in runs] + [r.err for r in runs] + [caplog.text]
    pulls = github_emulator.pulls("acme/app")
    assert len(pulls) == 3
    outputs += [p.body or "" for p in pulls] + [p.title for p in pulls]
    outputs += [json.dumps(r.body, default=str) for r in github_emulator.requests]
    outputs += [c.body for p in pulls for c in github_emulator.comments("acme/app", p.number)]
    leaks = _scan(outputs, forms)
    record_stats("secrets", {"outputs": len(outputs), "faults": faults, "leaks": len(leaks)})
    assert leaks == []
    assert faults >= 10
    # The debug log really was on, and the error paths really ran.
    assert any("DEBUG" in r.err or '"level": "debug"' in r.err for r in runs)
    assert any("access denied" in text for text in outputs)  # the wrong password was refused


def test_authorization_is_not_sent_on_a_redirect_to_another_host(
    registry_basic: RunningRegistry, cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = registry_basic.credentials
    assert credentials is not None
    seeded = seed_images(registry_basic)
    basic = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    monkeypatch.setenv(PASSWORD_ENV, credentials.password)
    tree = write_tree(
        tmp_path / "tree",
        {"Dockerfile": f"FROM python:{PYTHON_OLD}@{seeded.python[PYTHON_OLD]}\n"},
    )
    # The other origin (localhost:PORT) plays a presigned URL: it accepts requests on its own.
    with FaultProxy(registry_basic.host, foreign_authorization=f"Basic {basic}") as proxy:
        fault = proxy.inject(
            "*", rf"manifests/{PYTHON_NEW}$", action="redirect", times=None, host=r"^127\.0\.0\.1:"
        )
        fault_host = re.compile(r"^localhost:\d+$")
        config = _config(tmp_path, proxy.host, credentials.username)
        result = cli(
            "run",
            tree,
            "--config",
            config,
            "--format",
            "json",
            "--registry-alias",
            seeded.alias(proxy.host),
            "--insecure-registry",
            proxy.host,
        )
        redirected = [r for r in proxy.requests if fault_host.match(r.host)]
        original = [r for r in proxy.requests if r.host == proxy.host and r.authorization]
    assert fault.fired >= 1
    assert result.code == 0, result.out + result.err
    assert PYTHON_NEW.encode() in (tree / "Dockerfile").read_bytes()
    assert redirected, "the redirect was never followed"
    assert all(r.authorization is None for r in redirected), redirected
    assert original, "the registry's own origin never got credentials (test is vacuous)"


def test_app_private_key_and_installation_tokens_never_appear(
    registry: RunningRegistry,
    github_emulator: GitHubEmulator,
    cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    seeded = seed_images(registry)
    github_emulator.register_app(4242, public)
    github_emulator.create_repo(
        "acme/app", {"Dockerfile": f"FROM python:{PYTHON_OLD}\n"}, owner_kind="Organization"
    )
    github_emulator.install_app(4242, "acme")
    monkeypatch.setenv("BIB_CANARY_APP_KEY", private)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    config = tmp_path / "bot.yaml"
    config.write_text(
        "github: {app_id: 4242, private_key_env: BIB_CANARY_APP_KEY}\n", encoding="utf-8"
    )
    flags = [
        "run", "--repo", "acme/app", "--config", config, "--format", "json", "--log-level",
        "debug", "--registry-alias", seeded.alias(), "--insecure-registry", registry.host,
    ]  # fmt: skip
    fault = github_emulator.inject("POST", r"/pulls$", 500, times=1000)
    runs = [cli(*flags, "--debug")]
    github_emulator.faults.remove(fault)
    runs.append(cli(*flags, "--log-format", "json"))
    assert runs[-1].code == 0, runs[-1].err
    assert fault.fired >= 1
    tokens = list(github_emulator.store.installation_tokens)
    assert tokens, "no installation token was minted (test is vacuous)"
    body = [line for line in private.splitlines() if line and not line.startswith("-----")]
    forms = [private, *body, *tokens, *(_forms("x-access-token", t)[2] for t in tokens)]
    pulls = github_emulator.pulls("acme/app")
    outputs = [r.out for r in runs] + [r.err for r in runs] + [caplog.text]
    outputs += [p.body or "" for p in pulls]
    outputs += [json.dumps(r.body, default=str) for r in github_emulator.requests]
    leaks = _scan(outputs, forms)
    record_stats(
        "secrets-app", {"outputs": len(outputs), "faults": fault.fired, "leaks": len(leaks)}
    )
    assert leaks == []
