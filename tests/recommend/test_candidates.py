"""Which candidates a reference gets, on real Docker Official Image tag histories; the ranking;
what a switch changes. Pure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.recommend.alternatives import bundled_alternatives, parse_alternatives, substitutes_for
from bot.recommend.candidates import propose_candidates
from bot.recommend.model import Candidate, Evaluation, Traits
from bot.recommend.rank import rank, winner_reason
from bot.recommend.traits import changes, traits_of
from bot.scan.packages import OsRelease, Package
from bot.versioning import ImageRule

TAGS = Path(__file__).resolve().parent.parent / "data" / "tags"
PYTHON = tuple(e["tag"] for e in json.loads((TAGS / "python.json").read_text())["tags"])
IMAGE = "docker.io/library/python"


def _eol(tag: str) -> bool:
    return "bullseye" in tag or tag.startswith(("3.8", "3.9."))


def _propose(tag: str, **kwargs: object) -> list[tuple[str, str]]:
    found = propose_candidates(IMAGE, tag, PYTHON, kwargs.pop("rule", ImageRule()),  # type: ignore[arg-type]
                               is_eol=_eol, **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return [(c.tag, c.kind) for c in found]


def test_a_slim_tag_gets_its_line_the_next_line_and_smaller_or_fuller_variants() -> None:
    assert _propose("3.12.1-slim") == [
        ("3.12.14-slim", "update"),
        ("3.13.15-slim", "next-line"),
        ("3.12.14-alpine", "variant"),
        ("3.12.14", "variant"),
    ]


def test_an_end_of_life_os_gets_the_newer_os_of_the_same_flavour() -> None:
    found = _propose("3.12.1-slim-bullseye")
    assert ("3.12.11-slim-trixie", "variant") in found
    assert not any("bullseye" in tag for tag, kind in found if kind == "variant")


def test_policy_ranges_bound_the_next_line() -> None:
    rule = ImageRule(allow=">=3.12,<3.13")
    assert ("3.13.15-slim", "next-line") not in _propose("3.12.1-slim", rule=rule)


def test_substitutes_come_before_the_remaining_variants_and_the_limit_holds() -> None:
    found = _propose("3.12.1", substitutes=["gcr.io/distroless/python3-debian12:nonroot",
                                            "example.com/py:{minor}-x"], max_candidates=5)  # fmt: skip
    assert found == [("3.12.14", "update"), ("3.13.15", "next-line"), ("3.12.14-alpine", "variant"),
                     ("3.12.14-slim", "variant"), ("nonroot", "substitute")]  # fmt: skip
    assert _propose("3.12.1", max_candidates=0) == []


def test_windows_variants_are_never_offered_for_linux() -> None:
    assert not any(
        "windows" in t or "nanoserver" in t for t, _ in _propose("3.12.1", max_candidates=20)
    )


def test_the_bundled_data_file_names_substitutes_for_mirrors_too() -> None:
    assert substitutes_for("127.0.0.1:5000/hub/library/python", bundled_alternatives())[0] == (
        "gcr.io/distroless/python3-debian13:nonroot"
    )
    assert substitutes_for("ghcr.io/acme/app", bundled_alternatives()) == ()


@pytest.mark.parametrize("bad", [{}, [{"match": "x"}], [{"match": 3, "use": ["a"]}], ["x"]])
def test_bad_alternatives_name_the_entry(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"recommend\.alternatives"):
        parse_alternatives(bad, "recommend.alternatives")


def _e(tag: str, ch: int | None, size: int, *, eol: str = "supported") -> Evaluation:
    vulns = None if ch is None else (("critical", 0), ("high", ch), ("medium", 3), ("low", 0))
    return Evaluation(Candidate(IMAGE, tag, "variant"), vulnerabilities=vulns, compressed_size=size,
                      eol=eol)  # fmt: skip


def test_fewest_critical_and_high_then_size_and_the_reason_names_both() -> None:
    current = _e("3.12.1-slim", 27, 45_100_000)
    ranked = rank([_e("big", 0, 90_000_000), _e("alpine", 0, 18_200_000), _e("slim", 2, 41_000_000),
                   _e("old", 0, 1, eol="eol"), _e("unknown", None, 1)], ["critical_high", "size"])  # fmt: skip
    assert [e.candidate.tag for e in ranked] == ["alpine", "big", "slim", "old", "unknown"]
    winner, reason = winner_reason(ranked, current, ["critical_high", "size"])
    assert winner is ranked[0]
    assert reason == (
        "python:alpine ranks first on critical+high vulnerabilities, then compressed size: "
        "critical+high vulnerabilities 0 against 27 now; ahead of python:big on compressed size "
        "(18.2 MB against 90.0 MB)"
    )


def test_no_winner_when_nothing_beats_the_current_image() -> None:
    current = _e("3.12.1-alpine", 0, 10)
    winner, reason = winner_reason(rank([_e("slim", 0, 20)], ["critical_high", "size"]), current,
                                   ["critical_high", "size"])  # fmt: skip
    assert winner is None
    assert reason.startswith("keep python:3.12.1-alpine: no candidate beats it")


def _pkg(name: str, kind: str = "deb") -> Package:
    return Package(name, "1", "", name, "1", kind)


def test_traits_come_from_the_package_list_and_changes_say_what_a_switch_means() -> None:
    debian = traits_of(OsRelease("debian", "12", pretty_name="Debian 12"),
                       [_pkg("libc6"), _pkg("dash"), _pkg("apt")], "")  # fmt: skip
    distroless = traits_of(OsRelease("debian", "12", pretty_name="Debian 12"),
                           [_pkg("libc6"), _pkg("tzdata")], "nonroot")  # fmt: skip
    static = traits_of(
        OsRelease("debian", "12", pretty_name="Debian 12"), [_pkg("tzdata")], "65532"
    )
    alpine = traits_of(OsRelease("alpine", "3.20.3", pretty_name="Alpine 3.20"),
                       [_pkg("musl", "apk"), _pkg("busybox", "apk"), _pkg("apk-tools", "apk")], None)  # fmt: skip
    assert debian == Traits("Debian 12", "glibc", True, "apt", "")
    assert changes(debian, distroless) == (
        "no shell (/bin/sh): RUN and shell-form CMD do not work",
        "no package manager (was apt)",
        "runs as nonroot (not root)",
    )
    assert changes(debian, static)[0] == "no C library (was glibc): static binaries only"
    assert changes(debian, alpine) == (
        "Alpine 3.20 instead of Debian 12",
        "musl instead of glibc: native modules must match",
        "package manager apk (was apt)",
    )
    assert changes(debian, None) == ()


def _kind(tag: str, kind: str, size: int) -> Evaluation:
    vulns = (("critical", 0), ("high", 0), ("medium", 1), ("low", 0))
    return Evaluation(Candidate(IMAGE, tag, kind), vulnerabilities=vulns, compressed_size=size)


def test_the_update_wins_when_nothing_else_differs_from_the_current_image() -> None:
    current = _kind("3.12.1-alpine", "current", 18_200_000)
    ranked = rank([_kind("3.12.14-alpine", "update", 18_200_000)], ["critical_high", "size"])
    winner, reason = winner_reason(ranked, current, ["critical_high", "size"])
    assert winner is ranked[0]
    assert reason == (
        "python:3.12.14-alpine is the newest release of this line and as good as "
        "python:3.12.1-alpine on critical+high vulnerabilities, then compressed size"
    )


def test_sizes_within_one_percent_do_not_decide_and_the_update_ranks_before_its_equals() -> None:
    current = _kind("3.12.1-alpine", "current", 1_846)
    candidates = [
        _kind("3.12.1-bookworm", "variant", 1_845),
        _kind("3.12.14-alpine", "update", 1_845),
    ]
    ranked = rank(candidates, ["critical_high", "size"])
    assert [e.candidate.kind for e in ranked] == ["update", "variant"]
    winner, reason = winner_reason(ranked, current, ["critical_high", "size"])
    assert winner is not None
    assert winner.candidate.kind == "update"
    assert "against" not in reason  # a 1-byte difference is not given as the reason


def test_a_real_size_difference_still_decides() -> None:
    current = _kind("3.12.1-slim", "current", 45_100_000)
    ranked = rank([_kind("3.12.1-alpine", "variant", 18_200_000),
                   _kind("3.12.14-slim", "update", 45_000_000)], ["critical_high", "size"])  # fmt: skip
    winner, reason = winner_reason(ranked, current, ["critical_high", "size"])
    assert winner is not None
    assert winner.candidate.kind == "variant"
    assert "compressed size 18.2 MB against 45.1 MB now" in reason
