"""GitHub App authentication end to end: installation tokens per owner, refresh, masking."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github

from bot.forge.app import AppCredentials, AppForge
from tests.e2e_github.harness import REPO, World

APP_ID = 31337
FILES = {"Dockerfile": b"FROM python:3.12.1-slim\n"}


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    """A fresh RSA key pair (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def app(world: World, keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The App registered and installed on ``acme`` (one repository) and ``jane`` (all)."""
    private, public = keys
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("APP_KEY", private)
    world.emulator.register_app(APP_ID, public)
    world.emulator.create_repo(REPO, FILES, owner_kind="Organization")
    world.emulator.create_repo("acme/not-granted", FILES)
    world.emulator.create_repo("jane/tool", FILES)
    world.emulator.create_repo("nobody/else", FILES)
    return {
        "acme": world.emulator.install_app(APP_ID, "acme", repos=[REPO]),
        "jane": world.emulator.install_app(APP_ID, "jane"),
    }


CONFIG = {"github": {"app_id": APP_ID, "private_key_env": "APP_KEY"}}


def _mints(world: World) -> list[str]:
    return [r.path for r in world.emulator.requests if r.path.endswith("/access_tokens")]


def test_app_opens_pull_requests_with_one_token_per_owner(
    world: World, app: dict[str, int]
) -> None:
    run = world.run(repos=(REPO, "jane/tool", "nobody/else"), config=CONFIG)
    assert run.code == 1
    assert {p["repo"] for p in run.prs("open")} == {REPO, "jane/tool"}
    (error,) = run.report["errors"]
    assert error["repo"] == "nobody/else"
    assert "not installed" in error["error"]
    assert sorted(_mints(world)) == sorted(
        f"/app/installations/{app[o]}/access_tokens" for o in ("acme", "jane")
    )
    assert world.emulator.pulls(REPO)[0].user == "base-image-bot[bot]"
    again = world.run(repos=(REPO, "jane/tool"), config=CONFIG)
    assert [w.path for w in again.writes if not w.path.endswith("/access_tokens")] == []


def test_every_repository_of_every_installation(world: World, app: dict[str, int]) -> None:
    run = world.run(repos=("*/*",), config=CONFIG)
    assert run.code == 0, run.err
    assert {p["repo"] for p in run.prs("open")} == {REPO, "jane/tool"}
    assert world.emulator.pulls("acme/not-granted") == []
    owner = world.run(repos=("acme/*",), config=CONFIG, dry_run=True)
    assert {p["repo"] for p in owner.prs()} == {REPO}


def test_pinned_installation_and_key_file(
    world: World, app: dict[str, int], keys: tuple[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(keys[0], encoding="utf-8")
    config = {
        "github": {
            "app_id": APP_ID,
            "private_key_file": str(key_file),
            "installation_id": app["jane"],
        }
    }
    run = world.run(repos=(REPO, "jane/tool"), config=config)
    assert run.code == 1
    assert {p["repo"] for p in run.prs("open")} == {"jane/tool"}
    assert [e["repo"] for e in run.report["errors"]] == [REPO]


def test_missing_private_key_is_a_configuration_error(
    world: World, app: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_KEY")
    run = world.run(config=CONFIG, validate=False)
    assert run.code == 2
    assert "github.private_key_env: environment variable APP_KEY is not set" in run.err
    assert world.emulator.requests == []


def test_installation_token_is_refreshed_before_it_expires(
    world: World, app: dict[str, int], keys: tuple[str, str]
) -> None:
    world.emulator.set_installation_token_ttl(21.5)  # PyGithub refreshes 20 s before expiry
    forge = AppForge(
        AppCredentials(APP_ID, keys[0]),
        base_url=world.emulator.base_url,
        throttle=False,
        retry=None,
    )
    try:
        assert forge.read_dockerfiles(REPO, ("Dockerfile",)).files[0].path == "Dockerfile"
        assert len(_mints(world)) == 1
        time.sleep(2.2)
        assert forge.read_dockerfiles(REPO, ("Dockerfile",)).files[0].path == "Dockerfile"
        assert len(_mints(world)) == 2
        assert all(r.status in (200, 201) for r in world.emulator.requests)
    finally:
        forge.close()


def test_private_key_jwts_and_tokens_never_appear_in_output(
    world: World,
    app: dict[str, int],
    keys: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world.emulator.inject("POST", r"/pulls$", 500, times=100)
    failed = world.run("--log-level", "debug", repos=(REPO, "jane/tool"), config=CONFIG)
    assert failed.code == 1
    world.emulator.faults.clear()
    fine = world.run("--log-level", "debug", repos=(REPO, "jane/tool"), config=CONFIG)
    assert fine.code == 0, fine.err
    assert "new token, valid until" in fine.err
    tokens = list(world.emulator.store.installation_tokens)
    assert len(tokens) == 4
    key_lines = [line for line in keys[0].splitlines() if "-----" not in line]
    for text in (failed.out, failed.err, fine.out, fine.err, caplog.text):
        assert not any(token in text for token in tokens)
        assert not any(line in text for line in key_lines)
        assert "eyJ" not in text  # no JWT


def test_a_repository_outside_the_installation_is_named_as_such(
    world: World, app: dict[str, int]
) -> None:
    # The installation on acme covers acme/app only: the other repository answers 404.
    run = world.run(repos=("acme/not-granted", REPO), config=CONFIG)
    assert run.code == 1
    (error,) = run.report["errors"]
    assert error["repo"] == "acme/not-granted"
    assert (
        f"the GitHub App installation has no access to acme/not-granted: add the repository to "
        f"installation {app['acme']} (HTTP 404" in error["error"]
    )
    assert {p["repo"] for p in run.prs("open")} == {REPO}


def test_a_missing_permission_is_named_and_nothing_is_left_half_made(
    world: World, keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = keys
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("APP_KEY", private)
    world.emulator.register_app(APP_ID, public)
    world.emulator.create_repo("jane/tool", FILES)
    read_only_prs = {"metadata": "read", "contents": "write", "pull_requests": "read"}
    world.emulator.install_app(APP_ID, "jane", permissions=read_only_prs)
    run = world.run(repos=("jane/tool",), config=CONFIG)
    assert run.code == 1
    (error,) = run.report["errors"]
    assert "the GitHub App installation lacks pull_requests: write" in error["error"]
    assert "Resource not accessible by integration" in error["error"]
    assert world.emulator.pulls("jane/tool") == []
    assert [b for b in world.emulator.branches("jane/tool") if b != "main"] == []


def test_a_persons_issue_carrying_the_dashboard_marker_is_not_the_dashboard(
    world: World, app: dict[str, int]
) -> None:
    # An installation token cannot name its account (GET /user), so the bot cannot list only
    # its own issues: anyone may open one that copies the marker and ticks boxes.
    world.emulator.add_user("mallory")
    world.emulator.add_token("mallory-token", "mallory")
    forged = ("- [x] <!-- base-image-bot:open base-image-bot/dockerfile/docker-io-library-python"
              " --> please\n\n<!-- base-image-bot-dashboard -->\n")  # fmt: skip
    client = Github(base_url=world.emulator.base_url, auth=Auth.Token("mallory-token"))
    client.get_repo(REPO).create_issue("Dependency Dashboard", forged)
    client.close()
    run = world.run(repos=(REPO,), config={**CONFIG, "dashboard": True})
    assert run.code == 0, run.err
    (record,) = run.report["dashboards"]
    assert record["action"] == "open"
    forgery, board = world.emulator.issues(REPO)
    assert (forgery.user, forgery.body) == ("mallory", forged)  # not edited
    assert board.user == "base-image-bot[bot]"
    again = world.run(repos=(REPO,), config={**CONFIG, "dashboard": True})
    assert again.report["dashboards"][0] == {**record, "action": "none", "reason": "up to date",
                                             "body": None}  # fmt: skip
