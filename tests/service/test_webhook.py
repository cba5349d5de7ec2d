"""Webhook signature checks and event decisions (pure)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.reposettings import RepoSettings
from bot.service.webhook import PUSH_COMMIT_LIMIT, decide, sign, signature_valid

INCLUDE = ("Dockerfile", "*.Dockerfile", "Dockerfile.*")
REPOS = (RepoSettings("o/app"), RepoSettings("team/*"))


def _decide(event: str, payload: object) -> tuple[str, str | None, str]:
    decision = decide(
        event,
        json.dumps(payload).encode(),
        include=INCLUDE,
        branch_prefix="base-image-bot",
        repos=REPOS,
    )
    return decision.action, decision.repo, decision.reason


def _push(repo: str = "o/app", ref: str = "refs/heads/main", *paths: str) -> dict[str, object]:
    return {
        "ref": ref,
        "repository": {"full_name": repo, "default_branch": "main"},
        "commits": [{"added": list(paths), "modified": [], "removed": []}],
    }


@given(secret=st.binary(min_size=1, max_size=64), body=st.binary(max_size=512))
def test_signature_of_the_body_is_accepted(secret: bytes, body: bytes) -> None:
    assert signature_valid(secret, body, sign(secret, body))


@given(
    secret=st.binary(min_size=1, max_size=64),
    body=st.binary(min_size=1, max_size=512),
    index=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_any_changed_byte_is_rejected(secret: bytes, body: bytes, index: int, flip: int) -> None:
    signature = sign(secret, body)
    tampered = bytearray(body)
    tampered[index % len(body)] ^= flip
    assert not signature_valid(secret, bytes(tampered), signature)
    assert not signature_valid(secret + b"x", body, signature)


def test_missing_or_malformed_signatures_are_rejected() -> None:
    body = b"{}"
    good = sign(b"k", body)
    assert not signature_valid(b"k", body, None)
    assert not signature_valid(b"k", body, "")
    assert not signature_valid(b"k", body, good.replace("sha256=", "sha1="))
    assert not signature_valid(b"k", body, good + "0")
    assert not signature_valid(b"k", body, "sha256=\u00e9" + good[8:])
    assert not signature_valid(b"", body, sign(b"", body))


def test_push_to_default_branch_touching_a_dockerfile_runs_the_repo() -> None:
    assert _decide("push", _push("o/app", "refs/heads/main", "svc/api.Dockerfile"))[:2] == (
        "run",
        "o/app",
    )
    assert _decide("push", _push("team/x", "refs/heads/main", "Dockerfile.prod"))[:2] == (
        "run",
        "team/x",
    )
    own_config = _push("o/app", "refs/heads/main", ".github/base-image-bot.yml")
    assert _decide("push", own_config)[0] == "run"


def test_other_pushes_are_ignored() -> None:
    assert _decide("push", _push("o/app", "refs/heads/dev", "Dockerfile"))[0] == "ignore"
    assert _decide("push", _push("o/app", "refs/heads/main", "README.md"))[0] == "ignore"
    assert _decide("push", _push("o/app", "refs/heads/main", "Dockerfile.md/x"))[0] == "ignore"
    unconfigured = _decide("push", _push("stranger/app", "refs/heads/main", "Dockerfile"))
    assert unconfigured == ("ignore", "stranger/app", "repository is not configured")
    deleted = {**_push("o/app", "refs/heads/main", "Dockerfile"), "deleted": True}
    assert _decide("push", deleted)[0] == "ignore"


def test_long_pushes_run_because_their_file_list_is_incomplete() -> None:
    payload = _push("o/app", "refs/heads/main")
    payload["commits"] = [{"modified": ["README.md"]}] * PUSH_COMMIT_LIMIT
    assert _decide("push", payload)[0] == "run"


def test_closed_bot_pull_requests_are_recorded() -> None:
    payload = {
        "action": "closed",
        "repository": {"full_name": "o/app"},
        "pull_request": {"number": 3, "merged": False, "head": {"ref": "base-image-bot/x/y"}},
    }
    decision = decide(
        "pull_request",
        json.dumps(payload).encode(),
        include=INCLUDE,
        branch_prefix="base-image-bot",
        repos=REPOS,
    )
    assert (decision.action, decision.number, decision.merged) == ("pr_closed", 3, False)
    human = {**payload, "pull_request": {"number": 4, "head": {"ref": "feature/x"}}}
    assert _decide("pull_request", human)[0] == "ignore"
    opened = {**payload, "action": "opened"}
    assert _decide("pull_request", opened)[0] == "ignore"


@given(body=st.binary(max_size=200))
def test_arbitrary_bodies_never_raise(body: bytes) -> None:
    decision = decide("push", body, include=INCLUDE, branch_prefix="base-image-bot", repos=REPOS)
    assert decision.action in {"ignore", "bad_request", "run"}


def test_ping_and_unknown_events() -> None:
    assert _decide("ping", {})[0] == "pong"
    assert _decide("issues", {"repository": {"full_name": "o/app"}})[0] == "ignore"
    assert _decide("push", [1, 2])[0] == "bad_request"
