"""``end-of-life``: verdicts and warnings from lifecycle data (pure, fixed days), and through the
CLI: findings, the early warning, moving off an end-of-life line where the policy allows it and
the pull request saying so; ``unapproved-base`` on a hand-made Dockerfile."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checks.eol import eol_verdict, moves_off, nearest_supported, os_successor
from bot.checks.lifecycle import Cycle, Product
from bot.checks.lifecycle_map import Placement, place
from bot.checks.lifecycle_source import bundled_snapshot
from bot.checks.model import Severity, Verdict
from tests.checks.helpers import by_rule, config, dockerfile, push_aliases
from tests.e2e.conftest import RunCli
from tests.support.clock import freeze_run_clock
from tests.support.registry import RunningRegistry

PYTHON = "docker.io/library/python"


def one(image: str, tag: str, via: str = "image") -> Placement:
    (found,) = [p for p in place(image, tag, bundled_snapshot()) if p.via == via]
    return found


def verdict(image: str, tag: str, today: date, warn_days: int = 90) -> Verdict | None:
    return eol_verdict(
        one(image, tag), today, warn_days=warn_days, warn_severity=Severity.MEDIUM,
        data_note="snapshot",
    )  # fmt: skip


def test_a_line_past_its_end_of_life_names_the_date_and_the_nearest_supported_line() -> None:
    found = verdict(PYTHON, "3.8.18-slim", date(2025, 1, 1))
    assert found is not None
    assert found.severity is None  # the rule's configured severity applies
    assert found.message.startswith("Python 3.8 reached end of life on 2024-10-07")
    assert "move to the nearest supported line, Python 3.9" in found.message
    assert found.fix == "3.9"
    assert dict(found.details)["eol"] == "2024-10-07"


def test_the_warning_starts_warn_days_before_the_date() -> None:
    eol = date(2026, 10, 31)  # Python 3.10
    assert verdict(PYTHON, "3.10.14", date(2026, 8, 1)) is None  # 91 days before
    warned = verdict(PYTHON, "3.10.14", date(2026, 8, 2))
    assert warned is not None
    assert warned.severity == Severity.MEDIUM
    assert f"reaches end of life on {eol}, in 90 days" in warned.message
    assert verdict(PYTHON, "3.10.14", date(2026, 8, 2), warn_days=30) is None
    assert verdict(PYTHON, "3.10.14", eol).severity is None  # type: ignore[union-attr]


_cycles = st.lists(
    st.builds(
        Cycle,
        name=st.sampled_from(["1", "2", "2.1", "3", "3.0", "10", "lts", "edge"]),
        release_date=st.none() | st.dates(date(2020, 1, 1), date(2026, 12, 31)),
        eol=st.none() | st.dates(date(2020, 1, 1), date(2030, 12, 31)),
        eol_flag=st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


@given(_cycles, st.data())
def test_the_nearest_supported_line_is_the_oldest_newer_line_still_supported(
    cycles: list[Cycle], data: st.DataObject
) -> None:
    product = Product("p", "P", tuple(cycles))
    current = data.draw(st.sampled_from(cycles))
    today = date(2026, 12, 7)

    def order(cycle: Cycle) -> tuple[date, tuple[int, ...]]:
        numbers = tuple(int(p) for p in cycle.name.split(".") if p.isdigit())
        return (cycle.release_date or date.max, numbers)

    newer = [c for c in cycles if order(c) > order(current) and not c.is_eol(today)]
    expected = sorted(newer, key=order)[0] if newer else None  # the first of equals
    assert nearest_supported(product, current, today) is expected


def test_the_os_inside_a_tag_and_its_successor_tag() -> None:
    today = date(2026, 12, 7)
    bullseye = one(PYTHON, "3.12.1-slim-bullseye", via="os")
    found = eol_verdict(bullseye, today, warn_days=90, warn_severity=Severity.MEDIUM,
                        data_note="snapshot")  # fmt: skip
    assert found is not None
    assert found.message.startswith("the tag's 'bullseye' is Debian 11 (Bullseye), which reached")
    assert nearest_supported(bullseye.product, bullseye.cycle, today).name == "13"  # type: ignore[union-attr]
    tags = {"3.12.1-slim-bookworm", "3.12.1-slim-trixie", "3.12.9-slim-trixie"}
    assert os_successor("3.12.1-slim-bullseye", bullseye, tags, today) == "3.12.1-slim-trixie"
    newest = os_successor("3.12.1-slim-bullseye", bullseye, {"3.12.9-slim-trixie"}, today,
                          lambda candidate: "3.12.9-slim-trixie")  # fmt: skip
    assert newest == "3.12.9-slim-trixie"
    alpine = one("docker.io/library/node", "20.10.0-alpine3.18", via="os")
    assert os_successor("20.10.0-alpine3.18", alpine, {"20.10.0-alpine3.22"}, today) == (
        "20.10.0-alpine3.22"
    )
    assert moves_off([bullseye], [], today) == [
        "moves off Debian 11 (Bullseye), Debian Security Support ended 2024-08-14"
    ]
    assert moves_off([bullseye], [bullseye], today) == []


@pytest.mark.registry
def test_minor_updates_move_off_an_end_of_life_runtime_and_say_so(
    cli: RunCli,
    registry: RunningRegistry,
    unique_repo: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freeze_run_clock(monkeypatch)
    repo = f"{unique_repo}/library/python"  # an official image's path on a mirror
    push_aliases(registry, repo, [("3.8.18-slim",), ("3.8.20-slim",), ("3.13.1-slim",)])
    image = f"{registry.host}/{repo}"
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", f"FROM {image}:3.8.18-slim\n")
    args = ("run", "--dry-run", "--insecure-registry", registry.host, root)
    patch = json.loads(cli(*args[:2], "--format", "json", *args[2:]).out)
    (finding,) = by_rule(patch, "end-of-life")
    assert finding["details"]["cycle"] == "3.8"
    assert [u["proposed"]["tag"] for u in patch["updates"]] == ["3.8.20-slim"]  # still 3.8
    minor = cli(*args[:2], "--format", "markdown", "--show-pull-requests",
                "--update-types", "patch,minor,digest", *args[2:]).out  # fmt: skip
    assert "`3.13.1-slim`" in minor
    assert "- moves off Python 3.8, Security Support ended 2024-10-07" in minor
    warn = config(tmp_path, "checks:\n  end-of-life: {warn_days: 3650, warn_severity: low}\n")
    later = json.loads(cli(*args[:2], "--format", "json", "--config", warn,
                           "--update-types", "patch,minor,digest", *args[2:]).out)  # fmt: skip
    assert [f["severity"] for f in by_rule(later, "end-of-life")] == ["high"]


@pytest.mark.registry
def test_unapproved_base_images_are_reported_once_approved_bases_is_set(
    cli: RunCli, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    push_aliases(registry, f"{unique_repo}/ok", [("1.0.0",)])
    push_aliases(registry, f"{unique_repo}/other", [("1.0.0",)])
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", f"FROM {registry.host}/{unique_repo}/ok:1.0.0\n"
                                        f"FROM {registry.host}/{unique_repo}/other:1.0.0\n")  # fmt: skip
    args = ("run", "--dry-run", "--format", "json", "--insecure-registry", registry.host)
    assert by_rule(json.loads(cli(*args, root).out), "unapproved-base") == []
    approved = config(
        tmp_path, f"checks:\n  approved_bases: ['{registry.host}/{unique_repo}/ok']\n"
    )
    document = json.loads(cli(*args, "--config", approved, root).out)
    (finding,) = by_rule(document, "unapproved-base")
    assert finding["line"] == 2
    assert finding["severity"] == "high"
    assert "is not an approved base image" in finding["message"]
    assert cli(*args, "--config", approved, "--fail-on", "high", root).code == 4
