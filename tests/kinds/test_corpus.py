"""Real files of every kind (tests/data/kinds, sources in SOURCES.md): what extraction finds,
and a rewrite round trip of every editable reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kinds.helpers import CORPUS, EXPECTED, extract_tree, read_tree, round_trip, summary

SAMPLES = sorted(p for kind in CORPUS.iterdir() if kind.is_dir() for p in kind.iterdir())
EXPECTED_FOUND: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text(encoding="utf-8"))


def _id(sample: Path) -> str:
    return sample.relative_to(CORPUS).as_posix()


def test_every_kind_has_real_files() -> None:
    kinds = {entry["kind"] for entry in EXPECTED_FOUND.values()}
    assert kinds == {
        "compose", "compose-env", "kubernetes", "helm", "github_actions", "devcontainer",
        "gitlab_ci",
    }  # fmt: skip


@pytest.mark.parametrize("sample", SAMPLES, ids=_id)
def test_extraction_matches_expected(sample: Path) -> None:
    found = {
        f"{_id(sample)}/{path}": {"kind": e.file.kind, "found": summary(e.extraction)}
        for path, e in extract_tree(read_tree(sample)).items()
    }
    expected = {k: v for k, v in EXPECTED_FOUND.items() if k.startswith(_id(sample) + "/")}
    assert found == expected


@pytest.mark.parametrize("sample", SAMPLES, ids=_id)
def test_every_reference_round_trips(sample: Path) -> None:
    files = read_tree(sample)
    count = 0
    for path, extracted in extract_tree(files).items():
        references = list(extracted.extraction.references)
        references += [s.reference for s in extracted.extraction.skipped if s.reference]
        for reference in references:
            if reference.tag is not None:
                round_trip(files, path, reference)
                count += 1
    has_tags = any(
        " " in line and not line.startswith(("skip", "error"))
        for k, v in EXPECTED_FOUND.items()
        if k.startswith(_id(sample) + "/")
        for line in v["found"]  # type: ignore[attr-defined]
    )
    assert (count > 0) == has_tags


def test_sentry_tags_from_dotenv_are_edited_in_dotenv() -> None:
    sample = CORPUS / "compose" / "sentry"
    files = read_tree(sample)
    env = extract_tree(files)[".env"].extraction
    snuba = next(r for r in env.references if r.raw == "$SNUBA_IMAGE")
    result = round_trip(files, ".env", snuba)
    assert b"SNUBA_IMAGE=ghcr.io/getsentry/snuba:9.9.9-rt@sha256:" in result["data"]


def test_helm_values_edit_only_tag_and_digest_scalars() -> None:
    sample = CORPUS / "helm" / "ingress-nginx"
    files = read_tree(sample)
    values = extract_tree(files)["values.yaml"].extraction
    controller = values.references[0]
    result = round_trip(files, "values.yaml", controller)
    before = files[0].data.decode().splitlines()
    after = result["data"].decode().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        ('    tag: "v1.15.1"', '    tag: "9.9.9-rt"'),
        (
            "    digest: sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
            f"    digest: sha256:{'c' * 64}",
        ),
    ]
