"""Archived repositories, forks, lagging lists and the API version, through the CLI."""

from __future__ import annotations

from tests.e2e_github.harness import BRANCH, REPO, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN true\n"


def test_owner_listings_skip_archived_repositories_and_forks_with_a_reason(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.create_repo("acme/old", {"Dockerfile": DOCKERFILE}, archived=True)
    world.emulator.create_repo("acme/copy", {"Dockerfile": DOCKERFILE}, fork=True)
    run = world.run(repos=("acme/*",))
    assert run.code == 0, run.err
    assert {p["repo"] for p in run.prs("open")} == {REPO}
    skipped = {s["reference"]: s for s in run.report["skipped"] if s["line"] == 0}
    assert {name: s["reason"] for name, s in skipped.items()} == {
        "acme/old": "archived-repository",
        "acme/copy": "fork",
    }
    assert all(s["repo"] == name for name, s in skipped.items())
    for fmt in ("table", "markdown"):
        assert "acme/old" in world.run("--format", fmt, repos=("acme/*",), validate=False).out


def test_an_archived_repository_named_explicitly_is_left_alone_without_writes(
    world: World,
) -> None:
    world.emulator.create_repo("acme/old", {"Dockerfile": DOCKERFILE}, archived=True)
    run = world.run(repos=("acme/old",))
    assert run.code == 0, run.err
    assert run.writes == []
    assert run.prs() == []
    ((reason, message),) = [(s["reason"], s["repo"]) for s in run.report["skipped"]]
    assert (reason, message) == ("archived-repository", "acme/old")


def test_the_bot_converges_while_lists_lag_behind_its_writes(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.set_list_lag(1.5)
    first = world.run()
    assert first.code == 0, first.err
    head = world.emulator.branch_sha(REPO, BRANCH)
    # At once again: the new PR and branch are missing from the lists, GitHub refuses a second
    # PR for the same head; the bot finds its PR once the list catches up and rewrites nothing.
    second = world.run()
    assert second.code == 0, second.err
    assert len(world.emulator.pulls(REPO)) == 1
    assert world.emulator.branch_sha(REPO, BRANCH) == head
    # (git objects are written again, unreferenced: content-addressed, harmless)
    assert {w.method for w in second.writes} == {"POST"}
    assert [w.status for w in second.writes if w.path.endswith("/pulls")] == [422]
    world.emulator.set_list_lag(0)
    assert world.run().writes == []


def test_every_request_names_the_api_version(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    run = world.run()
    assert run.code == 0, run.err
    assert run.requests
    assert {r.api_version for r in run.requests} == {"2022-11-28"}
