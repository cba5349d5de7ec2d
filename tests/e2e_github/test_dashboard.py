"""The dependency dashboard through the CLI against the emulator: one issue, found by marker,
edited only when its content changes; ticked boxes steer the next run."""

from __future__ import annotations

from typing import Any

from bot.forge.dashboard import MARKER, Dashboard, Item
from bot.forge.github import GitHubForge
from bot.pipeline.dashboard import read_dashboard, write_dashboard
from tests.e2e_github.harness import BRANCH, REPO, World

SVC_BRANCH = "base-image-bot/svc-dockerfile/docker-io-library-python"
CONFIG: dict[str, Any] = {"dashboard": True, "pull_requests": {"limit_open": 1}}


def _repo(world: World, **extra: str) -> None:
    world.emulator.create_repo(
        REPO,
        {"Dockerfile": "FROM python:3.12.1-slim\n", "svc/Dockerfile": "FROM python:3.11.8-slim\n",
         **extra},
    )  # fmt: skip


def _board(world: World) -> Any:
    (issue,) = world.emulator.issues(REPO)
    return issue


def _tick(world: World, kind: str, branch: str) -> None:
    issue = _board(world)
    box = f"- [ ] <!-- base-image-bot:{kind} {branch} -->"
    assert box in issue.body
    world.emulator.edit_issue_body(
        REPO, issue.number, issue.body.replace(box, box.replace("[ ]", "[x]"))
    )


def test_the_dashboard_lists_and_a_ticked_box_opens_a_pending_update(world: World) -> None:
    _repo(world)
    first = world.run(config=CONFIG)
    assert first.code == 0, first.err
    (record,) = first.report["dashboards"]
    assert (record["action"], record["number"]) == ("open", 2)
    issue = _board(world)
    assert issue.title == "Dependency Dashboard"
    assert issue.body.rstrip().endswith(MARKER)
    assert f"- [ ] <!-- base-image-bot:open {SVC_BRANCH} -->" in issue.body
    assert "pr\\_limit\\_open reached" in issue.body
    assert f"- [ ] <!-- base-image-bot:rebase {BRANCH} --> #1 " in issue.body

    quiet = world.run(config=CONFIG)
    assert quiet.writes == []
    assert quiet.report["dashboards"][0]["action"] == "none"

    _tick(world, "open", SVC_BRANCH)
    asked = world.run(config=CONFIG)
    assert asked.code == 0, asked.err
    (opened,) = asked.prs("open")
    assert opened["branch"] == SVC_BRANCH
    body = _board(world).body
    assert "[x]" not in body
    assert f"- [ ] <!-- base-image-bot:rebase {SVC_BRANCH} --> #3 " in body
    assert "## Pending" not in body
    assert len(world.emulator.issues(REPO)) == 1


def test_an_ignored_update_comes_back_when_its_box_is_ticked(world: World) -> None:
    _repo(world)
    assert world.run(config={"dashboard": True}).code == 0
    world.emulator.close_pull(REPO, 1)
    ignored = world.run(config={"dashboard": True})
    assert ignored.code == 0, ignored.err
    assert f"<!-- base-image-bot:unignore {BRANCH} -->" in _board(world).body
    _tick(world, "unignore", BRANCH)
    back = world.run(config={"dashboard": True})
    (opened,) = back.prs("open")
    assert (opened["branch"], opened["reason"]) == (
        BRANCH,
        "asked for again on the dependency dashboard",
    )
    assert "## Ignored" not in _board(world).body


def test_a_ticked_rebase_box_rebases_a_branch_behind_its_base(world: World) -> None:
    _repo(world)
    assert world.run(config={"dashboard": True}).code == 0
    world.emulator.push_commit(REPO, "main", {"README.md": "moved on\n"})
    assert world.run(config={"dashboard": True}).prs("update") == []  # not ours to rebase
    _tick(world, "rebase", BRANCH)
    rebased = world.run(config={"dashboard": True})
    (updated,) = rebased.prs("update")
    assert (updated["branch"], updated["reason"]) == (
        BRANCH,
        "rebase asked for on the dependency dashboard",
    )
    assert world.emulator.read_file(REPO, BRANCH, "README.md") == b"moved on\n"


def test_errors_are_listed_and_a_closed_dashboard_is_left_alone(world: World) -> None:
    _repo(world, **{"old/Dockerfile": "FROM python:9.9.9-nope\n"})
    run = world.run(config={"dashboard": True})
    assert run.code == 1
    assert "## Errors" in _board(world).body
    assert "9.9.9-nope" in _board(world).body
    world.emulator.set_issue_state(REPO, _board(world).number, "closed")
    again = world.run(config={"dashboard": True})
    assert again.report["dashboards"][0]["action"] == "closed"
    assert len(world.emulator.issues(REPO)) == 1
    assert not any("/issues" in r.path for r in again.writes)


def test_a_box_ticked_while_the_run_goes_on_stays_ticked(world: World) -> None:
    _repo(world)
    assert world.run(config={"dashboard": True}).code == 0
    forge = GitHubForge(world.emulator.token, base_url=world.emulator.base_url, throttle=False,
                        retry=None)  # fmt: skip
    try:
        state = read_dashboard(forge, REPO)
        _tick(world, "rebase", BRANCH)  # a person, while the run goes on
        board = Dashboard(open=(Item(BRANCH, "t", "", 1), Item(SVC_BRANCH, "u", "", 2)))
        record = write_dashboard(forge, REPO, state, board, title="Dependency Dashboard",
                                 pending=state.requests, dry_run=False)  # fmt: skip
    finally:
        forge.close()
    assert record.action == "update"
    assert f"- [x] <!-- base-image-bot:rebase {BRANCH} -->" in _board(world).body
    assert f"- [ ] <!-- base-image-bot:rebase {SVC_BRANCH} -->" in _board(world).body


def test_table_and_markdown_reports_say_what_happened_to_the_dashboard(world: World) -> None:
    _repo(world)
    dry = world.run("--format", "markdown", config=CONFIG, dry_run=True, validate=False)
    assert dry.code == 0, dry.err
    assert dry.writes == []
    assert "### Dependency dashboards" in dry.out
    assert f"| {REPO} | open |  | no dashboard yet |" in dry.out
    assert "<summary>dashboard open: acme/app</summary>" in dry.out
    assert f"<!-- base-image-bot:open {SVC_BRANCH} -->" in dry.out  # the body it would write
    assert "- #1 " not in dry.out
    assert "- chore(deps): update python docker tag to 3.12.3-slim — would be opened" in dry.out

    assert world.run(config=CONFIG).code == 0
    table = world.run("--format", "table", config=CONFIG, validate=False)
    assert table.code == 0, table.err
    assert "Dependency dashboards" in table.out
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.out.splitlines()]
    assert [REPO, "none", "#2", "up to date"] in rows
    assert "dashboard update" not in table.out  # unchanged: no body shown
