"""Automerge through the CLI against the emulator: GitHub's auto-merge where the repository
allows it, the bot's own merge once the checks pass elsewhere; never a branch someone else
pushed to, never a merge twice."""

from __future__ import annotations

from typing import Any

from tests.e2e_github.harness import BRANCH, REPO, World
from tests.support.seed import seed_repository

DIGEST_BRANCH = "base-image-bot/base-dockerfile/docker-io-library-alpine"


def _repo(world: World) -> None:
    """``Dockerfile`` needs a patch update (python), ``base/Dockerfile`` a digest refresh."""
    alpine = seed_repository(world.pusher, f"{world.prefix}/library/alpine", ["3.19.0", "3.19.1"])
    stale = alpine.digests["3.19.0"]
    world.emulator.create_repo(
        REPO,
        {
            "Dockerfile": "FROM python:3.12.1-slim\nRUN make\n",
            "base/Dockerfile": f"FROM alpine:3.19.1@{stale}\n",
        },
    )


def _config(**pull_requests: Any) -> dict[str, Any]:
    return {"policy": {"automerge": ["digest"]}, "pull_requests": pull_requests}


def _pull(world: World, branch: str) -> Any:
    return next(p for p in world.emulator.pulls(REPO) if p.head_ref == branch)


def test_the_bot_merges_once_the_checks_pass_and_only_what_may_automerge(world: World) -> None:
    _repo(world)
    first = world.run(config=_config())
    assert first.code == 0, first.err
    assert {p["branch"] for p in first.prs("open")} == {BRANCH, DIGEST_BRANCH}
    (waiting,) = [p for p in first.prs("open") if p["branch"] == DIGEST_BRANCH]
    assert "waiting for the checks of the new commit" in waiting["reason"]
    assert first.prs("merge") == []

    head = world.emulator.branch_sha(REPO, DIGEST_BRANCH)
    assert head is not None
    world.emulator.set_status(REPO, head, "pending", "ci")
    pending = world.run(config=_config())
    assert pending.writes == []
    (note,) = [p for p in pending.prs() if p["branch"] == DIGEST_BRANCH]
    assert "waiting for checks (ci)" in note["reason"]

    world.emulator.set_status(REPO, head, "success", "ci")
    world.emulator.add_check_run(REPO, head, "build", "completed", "success")
    python_head = world.emulator.branch_sha(REPO, BRANCH)
    assert python_head is not None
    world.emulator.set_status(REPO, python_head, "success", "ci")
    merging = world.run(config=_config())
    assert merging.code == 0, merging.err
    (merged,) = merging.prs("merge")
    assert (merged["branch"], merged["reason"]) == (DIGEST_BRANCH, "checks passed: merged (squash)")
    merges = [r for r in merging.writes if r.path.endswith("/merge")]
    assert len(merges) == 1
    assert merges[0].body == {"sha": head, "merge_method": "squash"}
    pull = _pull(world, DIGEST_BRANCH)
    assert pull.merged_at is not None
    assert DIGEST_BRANCH not in world.emulator.branches(REPO)  # the bot deleted its branch
    assert _pull(world, BRANCH).state == "open"  # patch updates are not automerged here

    again = world.run(config=_config())
    assert again.code == 0, again.err
    assert again.writes == []
    assert again.prs("merge") == []


def test_failing_checks_and_foreign_commits_hold_the_merge_back(world: World) -> None:
    _repo(world)
    assert world.run(config=_config()).code == 0
    head = world.emulator.branch_sha(REPO, DIGEST_BRANCH)
    assert head is not None
    world.emulator.add_check_run(REPO, head, "build", "completed", "failure")
    failed = world.run(config=_config())
    (note,) = [p for p in failed.prs() if p["branch"] == DIGEST_BRANCH]
    assert "checks failed (build): not merged" in note["reason"]
    assert failed.writes == []

    pushed = world.emulator.push_commit(REPO, DIGEST_BRANCH, {"NOTES": "mine\n"}, "a person")
    world.emulator.set_status(REPO, pushed, "success", "ci")
    taken = world.run(config=_config())
    assert taken.prs("merge") == []
    assert "someone else pushed to the branch: not merged" in " ".join(
        p["reason"] for p in taken.prs() if p["branch"] == DIGEST_BRANCH
    )
    assert _pull(world, DIGEST_BRANCH).state == "open"
    assert not any(r.path.endswith("/merge") for r in taken.writes)


def test_githubs_auto_merge_is_used_where_the_repository_allows_it(world: World) -> None:
    _repo(world)
    world.emulator.set_merge_settings(REPO, allow_auto_merge=True, delete_branch_on_merge=True)
    world.emulator.require_checks(REPO, "main", "ci")
    first = world.run(config=_config(automerge_method="merge"))
    assert first.code == 0, first.err
    (enabled,) = first.prs("automerge")
    assert (enabled["branch"], enabled["reason"]) == (
        DIGEST_BRANCH,
        "GitHub's auto-merge turned on (merge)",
    )
    graphql = [r for r in first.writes if r.path == "/graphql"]
    assert len(graphql) == 1
    head = world.emulator.branch_sha(REPO, DIGEST_BRANCH)
    assert graphql[0].body["variables"]["input"]["expectedHeadOid"] == head
    assert _pull(world, DIGEST_BRANCH).auto_merge is not None

    quiet = world.run(config=_config(automerge_method="merge"))
    assert quiet.writes == []
    assert "it merges once the required checks pass" in " ".join(
        p["reason"] for p in quiet.prs() if p["branch"] == DIGEST_BRANCH
    )
    assert head is not None
    world.emulator.set_status(REPO, head, "success", "ci")  # GitHub merges it now
    assert _pull(world, DIGEST_BRANCH).merged_at is not None
    after = world.run(config=_config(automerge_method="merge"))
    assert after.writes == []
    assert after.prs("merge") == []


def test_a_person_pushing_to_an_auto_merge_branch_turns_auto_merge_off(world: World) -> None:
    _repo(world)
    world.emulator.set_merge_settings(REPO, allow_auto_merge=True)
    world.emulator.require_checks(REPO, "main", "ci")
    assert world.run(config=_config()).code == 0
    pushed = world.emulator.push_commit(REPO, DIGEST_BRANCH, {"NOTES": "mine\n"}, "a person")
    off = world.run(config=_config())
    (disabled,) = off.prs("automerge")
    assert disabled["reason"] == "someone else pushed to the branch: auto-merge turned off"
    assert _pull(world, DIGEST_BRANCH).auto_merge is None
    assert world.emulator.set_status(REPO, pushed, "success", "ci") == []  # nothing merges
    assert _pull(world, DIGEST_BRANCH).state == "open"


def test_nothing_to_wait_for_falls_back_to_the_bots_merge(world: World) -> None:
    _repo(world)
    world.emulator.set_merge_settings(REPO, allow_auto_merge=True)  # but no required check
    first = world.run(config=_config())
    assert first.prs("automerge") == []
    assert "waiting for the checks of the new commit" in " ".join(
        p["reason"] for p in first.prs() if p["branch"] == DIGEST_BRANCH
    )
    head = world.emulator.branch_sha(REPO, DIGEST_BRANCH)
    assert head is not None
    world.emulator.set_status(REPO, head, "success", "ci")
    second = world.run(config=_config())
    (merged,) = second.prs("merge")
    assert merged["branch"] == DIGEST_BRANCH
    assert _pull(world, DIGEST_BRANCH).merged_at is not None


def test_dry_run_says_what_automerge_would_do_without_writing(world: World) -> None:
    _repo(world)
    first = world.run(config=_config(), dry_run=True)
    assert first.writes == []
    notes = {p["branch"]: p["reason"] for p in first.prs("open")}
    assert notes[DIGEST_BRANCH] == "new update; automerge: would merge once its checks pass"
    assert notes[BRANCH] == "new update"  # patch updates may not automerge here
    assert world.run(config=_config()).code == 0
    head = world.emulator.branch_sha(REPO, DIGEST_BRANCH)
    assert head is not None
    world.emulator.set_status(REPO, head, "success", "ci")
    dry = world.run(config=_config(), dry_run=True)
    assert dry.writes == []
    (would,) = dry.prs("merge")
    assert would["reason"] == "would be: checks passed: merged (squash)"
    assert _pull(world, DIGEST_BRANCH).state == "open"
