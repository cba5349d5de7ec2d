"""``org.opencontainers.image.source`` values and which Dockerfile they prove built an image."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lineage.labels import candidates, resolve
from bot.lineage.model import Dockerfile, ImageSource, Note, Publication, RepoFacts, Usage
from bot.lineage.source import SourceRef, host_of, parse_source


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/acme/base", SourceRef("github.com", "acme/base")),
        ("https://github.com/acme/base.git", SourceRef("github.com", "acme/base")),
        ("https://www.github.com/acme/base/", SourceRef("github.com", "acme/base")),
        ("git@github.com:acme/base.git", SourceRef("github.com", "acme/base")),
        ("ssh://git@github.com/acme/base", SourceRef("github.com", "acme/base")),
        # BuildKit's Git context and the Docker Official Images' annotations
        ("https://github.com/docker-library/python.git#7fe6c4b2:3.12/slim-bookworm",
         SourceRef("github.com", "docker-library/python", "7fe6c4b2", "3.12/slim-bookworm")),
        ("https://github.com/acme/base/tree/main/python",
         SourceRef("github.com", "acme/base", "main", "python")),
        ("https://github.com/acme/base/blob/v1/python/Dockerfile",
         SourceRef("github.com", "acme/base", "v1", file="python/Dockerfile")),
    ],
)  # fmt: skip
def test_source_urls(value: str, expected: SourceRef) -> None:
    assert parse_source(value) == expected


def test_other_hosts_and_non_urls_name_no_repository() -> None:
    assert parse_source("https://gitlab.com/acme/base") is None
    assert parse_source("https://github.com/acme") is None
    assert parse_source("acme/base") is None
    assert parse_source("https://github.com/acme/base/tree/main/../../etc") == SourceRef(
        "github.com", "acme/base", "main", None
    )
    ghes = host_of("https://ghe.example.com/api/v3")
    assert ghes == "ghe.example.com"
    assert parse_source("https://ghe.example.com/acme/base", {"github.com", ghes}) == SourceRef(
        "ghe.example.com", "acme/base"
    )
    assert host_of("https://api.github.com") is None


@given(st.text(max_size=300))
def test_any_label_value_parses_or_is_ignored(value: str) -> None:
    found = parse_source(value)
    assert found is None or found.repo.count("/") == 1


REPO = "acme/base"
PY, NODE = Dockerfile(REPO, "python/Dockerfile"), Dockerfile(REPO, "node/Dockerfile")
FACTS = {
    REPO: RepoFacts(
        REPO,
        (NODE, PY),
        (
            Usage(PY, 1, "from", "docker.io/library/python", "3.12.1-slim", None),
            Usage(NODE, 1, "from", "docker.io/library/node", "20.10.0", None),
        ),
    )
}


def label(source: str, base: str | None = None) -> ImageSource:
    return ImageSource("ghcr.io/acme/python-base", "1.4", source, "abc", base)


def test_a_label_naming_a_directory_or_file_picks_that_dockerfile() -> None:
    found = resolve(label("https://github.com/acme/base.git#abc:python"), FACTS, {"github.com"})
    assert isinstance(found, Publication)
    assert (found.dockerfile, found.via, found.tags) == (PY, "label", ("1.4",))
    found = resolve(label("https://github.com/Acme/Base/blob/main/node/Dockerfile"), FACTS,
                    {"github.com"})  # fmt: skip
    assert isinstance(found, Publication)
    assert found.dockerfile == NODE


def test_base_name_tells_dockerfiles_of_one_repository_apart() -> None:
    found = resolve(label("https://github.com/acme/base", "python:3.12.1-slim"), FACTS,
                    {"github.com"})  # fmt: skip
    assert isinstance(found, Publication)
    assert found.dockerfile == PY
    ambiguous = resolve(label("https://github.com/acme/base"), FACTS, {"github.com"})
    assert isinstance(ambiguous, Note)
    assert "2 Dockerfiles of acme/base could have built it" in ambiguous.message
    elsewhere = resolve(label("https://github.com/acme/other"), FACTS, {"github.com"})
    assert isinstance(elsewhere, Note)
    assert "not a configured repository" in elsewhere.message
    assert resolve(label("https://example.com/x"), FACTS, {"github.com"}) is None


def test_labels_are_read_once_per_image_for_images_nothing_else_attributes() -> None:
    d = Dockerfile("acme/svc", "Dockerfile")
    uses = [
        Usage(d, 1, "from", "ghcr.io/acme/python-base", "1.4", None),
        Usage(
            Dockerfile("acme/svc", "b/Dockerfile"),
            1,
            "from",
            "ghcr.io/acme/python-base",
            "1.4",
            None,
        ),
        Usage(
            Dockerfile("acme/svc", "c/Dockerfile"),
            1,
            "from",
            "ghcr.io/acme/python-base",
            "1.3",
            None,
        ),
        Usage(d, 2, "from", "ghcr.io/acme/pinned", "1", "sha256:" + "a" * 64),
        Usage(d, 3, "from", "docker.io/library/python", "3.12.1-slim", None),
        Usage(d, 4, "from", "ghcr.io/acme/known", "1", None),
    ]
    assert candidates(uses, {"ghcr.io/acme/known"}, ("docker.io/library/*",)) == {
        "ghcr.io/acme/pinned": "sha256:" + "a" * 64,
        "ghcr.io/acme/python-base": "1.4",
    }
