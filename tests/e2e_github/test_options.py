"""Dry runs, grouping, limits, per-repository configuration and ``owner/*`` through the CLI."""

from __future__ import annotations

from tests.e2e_github.harness import BRANCH, REPO, World

FILES = {
    "Dockerfile": b"FROM python:3.12.1-slim\nRUN true\n",
    "svc/Dockerfile": b"FROM python:3.11.8-slim AS base\nFROM python:3.12.2-slim\n",
}
SVC_BRANCH = "base-image-bot/svc-dockerfile/docker-io-library-python"


def test_dry_run_writes_nothing_and_lists_open_update_close(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    dry = world.run(dry_run=True)
    assert dry.code == 0, dry.err
    assert dry.writes == []
    assert world.emulator.pulls(REPO) == []
    planned = dry.prs()
    assert [(p["action"], p["branch"], p["number"]) for p in planned] == [
        ("open", BRANCH, None),
        ("open", SVC_BRANCH, None),
    ]
    assert planned[0]["title"] == "chore(deps): update python docker tag to 3.12.3-slim"
    assert "`3.12.1-slim`" in planned[0]["body"]
    assert "`3.12.3-slim`" in planned[0]["body"]
    assert "<!-- base-image-bot: " in planned[0]["body"]
    assert world.run().code == 0

    world.push_tag("3.12.4-slim")
    world.emulator.push_commit(REPO, "main", {"svc/Dockerfile": b"FROM python:3.11.9-slim\n"})
    later = world.run(dry_run=True)
    assert later.writes == []
    actions = {p["branch"]: (p["action"], p["number"], p["title"]) for p in later.prs()}
    assert actions[BRANCH] == (
        "update",
        1,
        "chore(deps): update python docker tag to 3.12.4-slim",
    )
    assert actions[SVC_BRANCH][:2] == ("close", 2)
    closing = next(p for p in later.prs() if p["action"] == "close")
    assert "no longer needed" in closing["reason"]
    assert world.emulator.pulls(REPO)[0].title.endswith("3.12.3-slim")  # untouched

    for fmt in ("table", "markdown"):
        text = world.run("--format", fmt, dry_run=True, validate=False)
        assert text.writes == []
        assert "3.12.4-slim" in text.out


def test_grouping_per_file(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    run = world.run(config={"pull_requests": {"grouping": "per-file"}})
    assert run.code == 0, run.err
    opened = {p["branch"]: p["title"] for p in run.prs("open")}
    assert opened == {
        "base-image-bot/dockerfile": "chore(deps): update python docker tag to 3.12.3-slim",
        "base-image-bot/svc-dockerfile": "chore(deps): update 2 docker base images in svc/Dockerfile",
    }
    assert world.emulator.read_file(REPO, "base-image-bot/svc-dockerfile", "svc/Dockerfile") == (
        b"FROM python:3.11.9-slim AS base\nFROM python:3.12.3-slim\n"
    )
    assert world.run(config={"pull_requests": {"grouping": "per-file"}}).writes == []


def test_grouping_per_repo_and_switching_back(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    config = {"pull_requests": {"grouping": "per-repo"}}
    run = world.run(config=config)
    assert run.code == 0, run.err
    (opened,) = run.prs("open")
    assert opened["branch"] == "base-image-bot/all"
    assert opened["title"] == "chore(deps): update 2 docker base images in the repository"
    files = world.emulator.files(REPO, "base-image-bot/all")
    assert files["Dockerfile"] == b"FROM python:3.12.3-slim\nRUN true\n"
    assert files["svc/Dockerfile"] == b"FROM python:3.11.9-slim AS base\nFROM python:3.12.3-slim\n"
    assert world.run(config=config).writes == []

    per_update = world.run()
    assert {p["action"] for p in per_update.prs()} == {"open", "close"}
    assert [p["branch"] for p in per_update.prs("close")] == ["base-image-bot/all"]
    assert world.emulator.branch_sha(REPO, "base-image-bot/all") is None


def test_limit_per_run_reports_pending_then_opens_them_later(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    config = {"pull_requests": {"limit_per_run": 1}}
    first = world.run(config=config)
    assert first.code == 0, first.err
    assert [p["branch"] for p in first.prs("open")] == [BRANCH]
    (pending,) = first.prs("pending")
    assert (pending["branch"], pending["reason"]) == (SVC_BRANCH, "pr_limit_per_run reached")
    assert pending["title"] is not None
    assert len(world.emulator.pulls(REPO)) == 1
    second = world.run(config=config)
    assert [p["branch"] for p in second.prs("open")] == [SVC_BRANCH]
    assert second.prs("pending") == []
    assert world.run(config=config).writes == []


def test_limit_open_holds_new_pull_requests(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    config = {"pull_requests": {"limit_open": 1}}
    assert len(world.run(config=config).prs("open")) == 1
    held = world.run(config=config)
    assert held.writes == []
    assert [p["reason"] for p in held.prs("pending")] == ["pr_limit_open reached"]


def test_repository_config_file_overrides_policy(world: World) -> None:
    own = b"policy:\n  update_types: [minor, patch]\npull_requests:\n  labels: [base-images]\n"
    world.emulator.create_repo(REPO, {**FILES, ".github/base-image-bot.yml": own})
    world.seed(["3.13.0-slim", "3.13.1-slim"])
    run = world.run()
    assert run.code == 0, run.err
    titles = {p["branch"]: p["title"] for p in run.prs("open")}
    assert titles[BRANCH] == "chore(deps): update python docker tag to 3.13.1-slim"
    (first, *_) = world.emulator.pulls(REPO)
    assert first.labels == ["base-images"]


def test_invalid_repository_config_is_reported_and_other_repositories_continue(
    world: World,
) -> None:
    world.emulator.create_repo(
        "acme/broken", {**FILES, ".github/base-image-bot.yml": b"policy:\n  update_types: [pach]\n"}
    )
    world.emulator.create_repo("acme/fine", FILES)
    world.emulator.create_repo(
        "acme/secret", {**FILES, ".github/base-image-bot.yml": b"github:\n  token_env: X\n"}
    )
    run = world.run(repos=("acme/broken", "acme/fine", "acme/secret"))
    assert run.code == 1
    errors = {e["repo"]: e for e in run.report["errors"]}
    assert set(errors) == {"acme/broken", "acme/secret"}
    assert errors["acme/broken"]["path"] == ".github/base-image-bot.yml"
    assert "acme/broken:.github/base-image-bot.yml:2" in errors["acme/broken"]["error"]
    assert "'pach' is not one of" in errors["acme/broken"]["error"]
    assert "not allowed in a repository's configuration" in errors["acme/secret"]["error"]
    assert len(run.prs("open", "acme/fine")) == 2
    assert world.emulator.pulls("acme/broken") == []
    assert world.emulator.pulls("acme/secret") == []


def test_owner_wildcard_expands_to_active_repositories(world: World) -> None:
    for name in ("acme/one", "acme/two"):
        world.emulator.create_repo(name, FILES, owner_kind="Organization")
    world.emulator.create_repo("other/three", FILES)
    world.emulator.create_repo("acme/empty", {"README.md": "no docker here\n"})
    run = world.run(repos=("acme/*",))
    assert run.code == 0, run.err
    assert {p["repo"] for p in run.prs("open")} == {"acme/one", "acme/two"}
    assert world.emulator.pulls("other/three") == []
    assert world.run(repos=("acme/*", "acme/one")).writes == []
