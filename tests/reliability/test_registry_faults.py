"""Registry faults through the CLI: the affected references are errors, everything else proceeds.

A fault proxy sits in front of the real registry. Three files: ``app`` pins python by digest (its
update needs a ``HEAD`` of the new tag), ``svc`` uses python by tag (tag list only), ``other``
uses alpine (never faulted). Each fault hits python only. Write mode: files whose lookups failed
keep their bytes; alpine's file is still rewritten; the exit code is 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    ALPINE_NEW,
    ALPINE_OLD,
    ONE_LINE,
    PYTHON_NEW,
    PYTHON_OLD,
    SeededImages,
    error_paths,
    record_stats,
    snapshot,
    update_paths,
    write_tree,
)
from tests.support.faultproxy import FaultProxy, tag_list_body

pytestmark = pytest.mark.registry

TAGS = "tags/list"
HEAD_NEW = rf"manifests/{PYTHON_NEW}$"
BOTH = frozenset({"app/Dockerfile", "svc/Dockerfile"})
APP = frozenset({"app/Dockerfile"})


@dataclass(frozen=True)
class Case:
    """One injected fault and the files whose python reference it must turn into an error."""

    name: str
    method: str
    path: str
    options: dict[str, object]
    affected: frozenset[str]
    config: str = ""
    message: str = ""  # a fragment the error message must contain
    xfail: str | None = None
    maybe: frozenset[str] = frozenset()  # host-wide effects that race with other lookups


def _deep(depth: int) -> bytes:
    return b'{"name": "x", "tags": ' + b"[" * depth + b"]" * depth + b"}"


CASES = [
    Case(
        "401-bad-credentials",
        "*",
        TAGS,
        {"status": 401, "code": "UNAUTHORIZED", "headers": {"WWW-Authenticate": 'Basic realm="r"'}},
        BOTH,
        message="credentials",
        maybe=frozenset({"other/Dockerfile"}),  # a Basic challenge is learnt for the whole host
    ),
    Case("403", "*", TAGS, {"status": 403, "code": "DENIED"}, BOTH, message="access denied"),
    Case(
        "404-repository", "*", TAGS, {"status": 404, "code": "NAME_UNKNOWN"}, BOTH, "", "not found"
    ),
    Case(
        "404-tag",
        "*",
        HEAD_NEW,
        {"status": 404, "code": "MANIFEST_UNKNOWN"},
        APP,
        "",
        "not found",
    ),
    Case(
        "429-retry-after",
        "*",
        TAGS,
        {"status": 429, "code": "TOOMANYREQUESTS", "headers": {"Retry-After": "0"}},
        BOTH,
        message="rate-limited",
        maybe=frozenset({"other/Dockerfile"}),  # the whole host is rate-limited for the run
    ),
    Case("500", "*", TAGS, {"status": 500}, BOTH, message="500"),
    Case("502", "*", TAGS, {"status": 502}, BOTH, message="502"),
    Case("503", "*", HEAD_NEW, {"status": 503}, APP, message="503"),
    Case("connection-reset", "*", TAGS, {"action": "reset"}, BOTH, message="failed"),
    Case(
        "read-timeout", "*", TAGS, {"action": "stall", "stall_seconds": 4.0}, BOTH, "", "timed out"
    ),
    Case("truncated-body", "GET", TAGS, {"action": "truncate"}, BOTH, message="tags of"),
    Case("invalid-json", "GET", TAGS, {"action": "corrupt_json"}, BOTH, message="not valid JSON"),
    Case(
        "digest-mismatch-get",
        "GET",
        HEAD_NEW,
        {"action": "swap_digest"},
        BOTH,
        config="policy: {min_age_days: 1}\n",
        message="digest",
    ),
    # The digest of the new tag is written into the file, so it is fetched with a GET and
    # verified over the manifest bytes: a registry announcing another digest is refused.
    Case(
        "digest-mismatch-new-tag", "*", HEAD_NEW, {"action": "swap_digest"}, APP, message="digest"
    ),
    Case(
        "deeply-nested-json",
        "GET",
        TAGS,
        {"action": "replace_body", "body": _deep(100_000)},
        BOTH,
        message="JSON",
    ),
    Case(
        "huge-string",
        "GET",
        TAGS,
        {"action": "replace_body", "body": tag_list_body("x", ["a" * (33 << 20)])},
        BOTH,
        message="exceeds",
    ),
]


def _tree(seeded: SeededImages, root: Path) -> Path:
    pinned = seeded.python[PYTHON_OLD]
    return write_tree(
        root,
        {
            "app/Dockerfile": f"FROM python:{PYTHON_OLD}@{pinned}\nRUN true\n",
            "svc/Dockerfile": f'FROM python:{PYTHON_OLD}\r\nCMD ["python"]\r\n',
            "other/Dockerfile": f"# check=skip=all\nFROM alpine:{ALPINE_OLD}\n",
            "far/Dockerfile": f"FROM quay.io/library/alpine:{ALPINE_OLD}\n",
        },
    )


def _registry_flags(seeded: SeededImages, proxy: FaultProxy) -> list[str]:
    """docker.io through the proxy; quay.io straight to the registry (never faulted)."""
    return [
        "--registry-alias",
        seeded.alias(proxy.host),
        "--registry-alias",
        f"quay.io={seeded.registry.host}/{seeded.prefix}",
        "--insecure-registry",
        proxy.host,
        "--insecure-registry",
        seeded.registry.host,
    ]


def _params() -> Sequence[object]:
    marks = []
    for case in CASES:
        mark = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        marks.append(pytest.param(case, id=case.name, marks=mark))
    return marks


@pytest.mark.parametrize("case", _params())
def test_fault_is_reported_and_everything_else_proceeds(
    case: Case, seeded: SeededImages, proxy: FaultProxy, cli: RunCli, tmp_path: Path
) -> None:
    tree = _tree(seeded, tmp_path / "tree")
    before = snapshot(tree)
    options = {"times": None, **case.options}
    fault = proxy.inject(case.method, re.escape(seeded.path("python")) + case.path, **options)
    config = tmp_path / "config.yaml"
    config.write_text(case.config or "{}\n", encoding="utf-8")
    result = cli(
        "run",
        tree,
        "--config",
        config,
        "--format",
        "json",
        *_registry_flags(seeded, proxy),
    )
    after = snapshot(tree)

    record_stats(f"registry-fault {case.name}", fault.fired)
    assert fault.fired >= 1, "the fault never fired"
    assert result.code == 1, result.err
    assert "internal error" not in result.err
    errors = result.records("errors")
    failed = error_paths(result)
    assert set(case.affected) <= failed <= case.affected | case.maybe, errors
    for record in errors:
        message = str(record["error"])
        assert ONE_LINE.match(message), message
        assert case.message.lower() in message.lower(), message
    # Nothing written from bad data; the unaffected files are still rewritten.
    for path in case.affected:
        assert after[path] == before[path], f"{path} was rewritten from a faulty reply"
    for path in {"other/Dockerfile", "far/Dockerfile"} - failed:
        assert after[path] == before[path].replace(ALPINE_OLD.encode(), ALPINE_NEW.encode())
    unaffected_python = BOTH - failed
    for path in unaffected_python:
        assert PYTHON_NEW.encode() in after[path]
    assert update_paths(result) == set(before) - failed


@pytest.mark.parametrize(
    ("status", "headers"),
    [(503, {}), (502, {}), (429, {"Retry-After": "1"})],
    ids=["503-once", "502-once", "429-once"],
)
def test_transient_fault_is_retried_and_nothing_is_lost(
    status: int,
    headers: dict[str, str],
    seeded: SeededImages,
    proxy: FaultProxy,
    cli: RunCli,
    tmp_path: Path,
) -> None:
    tree = _tree(seeded, tmp_path / "tree")
    fault = proxy.inject("GET", seeded.path("python") + "tags/list", status=status, headers=headers)
    result = cli("run", tree, "--format", "json", *_registry_flags(seeded, proxy))
    record_stats(f"registry-fault transient-{status}", fault.fired)
    assert fault.fired == 1
    assert result.code == 0, result.out + result.err
    assert update_paths(result) == set(snapshot(tree))


def test_tag_list_of_100000_entries_is_read_once_and_costs_no_request_per_tag(
    seeded: SeededImages, proxy: FaultProxy, cli: RunCli, tmp_path: Path
) -> None:
    # The time this takes is a figure of bench/bench_registry_limits.py (max_tags); here the
    # behaviour behind it: one listing, and no request that grows with the number of tags.
    noise = [f"nightly-{i:06d}" for i in range(100_000)]
    tags = [*noise[:50_000], PYTHON_OLD, PYTHON_NEW, "3.13.0-slim", *noise[50_000:]]
    fault = proxy.inject(
        "GET",
        seeded.path("python") + "tags/list",
        action="replace_body",
        body=tag_list_body("python", tags),
        times=None,
    )
    tree = write_tree(tmp_path / "tree", {"svc/Dockerfile": f"FROM python:{PYTHON_OLD}\n"})
    result = cli(
        "run",
        tree,
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(proxy.host),
        "--insecure-registry",
        proxy.host,
    )
    assert fault.fired == 1
    assert result.code == 0, result.err
    assert (tree / "svc/Dockerfile").read_bytes() == f"FROM python:{PYTHON_NEW}\n".encode()
    with proxy.lock:
        targets = [r.target for r in proxy.requests]
    assert not any("nightly-" in target for target in targets), targets
    assert len(targets) <= 10, targets
