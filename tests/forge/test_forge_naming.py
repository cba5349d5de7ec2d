"""Pure naming rules: branch names, PR marker, titles, commit trailers, repository path rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.dockerfile.discover import is_dockerfile_path
from bot.errors import ConfigError
from bot.forge.branches import (
    MarkedUpdate,
    PullRequestMarker,
    commit_message,
    display_image,
    encode_marker,
    file_branch,
    group_title,
    is_bot_branch,
    is_bot_commit_message,
    parse_marker,
    render_template,
    replace_marker,
    repo_branch,
    slugify,
    update_branch,
    update_title,
)

GIT_REF_OK = re.compile(r"^[a-z0-9-]+(/[a-z0-9-]+)*$")


@pytest.mark.parametrize(
    ("path", "image", "branch"),
    [
        ("Dockerfile", "python", "base-image-bot/dockerfile/python"),
        (
            "services/api/Dockerfile.prod",
            "ghcr.io/acme/app",
            "base-image-bot/services-api-dockerfile-prod/ghcr-io-acme-app",
        ),
        (
            "Dockerfile",
            "docker.io/library/python",
            "base-image-bot/dockerfile/docker-io-library-python",
        ),
    ],
)
def test_update_branch_examples(path: str, image: str, branch: str) -> None:
    assert update_branch(path, image) == branch
    assert is_bot_branch(branch)


def test_grouped_branches_and_prefix_check() -> None:
    assert file_branch("a/Dockerfile") == "base-image-bot/a-dockerfile"
    assert repo_branch("deps") == "deps/all"
    assert not is_bot_branch("base-image-botany/x")
    assert is_bot_branch("custom/x", "custom/")


@given(st.text(), st.text())
def test_branch_names_are_valid_refs_and_deterministic(path: str, image: str) -> None:
    branch = update_branch(path, image)
    assert GIT_REF_OK.match(branch), branch
    assert len(branch) <= len("base-image-bot/") + 2 * 60 + 1
    assert branch == update_branch(path, image)


def test_long_or_symbol_only_slugs_get_distinct_hashes() -> None:
    assert slugify("é") != slugify("ü")
    long_a, long_b = "a/" * 50 + "x", "a/" * 50 + "y"
    assert slugify(long_a) != slugify(long_b)
    assert len(slugify(long_a)) <= 60


_text = st.text(max_size=40)
_updates = st.lists(st.builds(MarkedUpdate, _text, _text, _text, _text, _text, _text), max_size=4)


@given(_updates, st.integers(min_value=0, max_value=99), _text, st.sampled_from(["", "\n", "\r\n"]))
def test_marker_round_trips_at_the_end_of_any_body(
    updates: list[MarkedUpdate], version: int, before: str, end: str
) -> None:
    marker = PullRequestMarker(tuple(updates), version)
    encoded = encode_marker(marker)
    assert encoded.count("-->") == 1
    assert "\n" not in encoded
    assert parse_marker(before + "\n" + encoded + end) == marker
    assert parse_marker(replace_marker(before + "\n" + encoded + end, marker)) == marker


@given(_updates, _text)
def test_a_marker_anywhere_but_the_last_line_is_not_read(
    updates: list[MarkedUpdate], after: str
) -> None:
    """Only the bot's fixed position counts: a marker quoted earlier in the body is text."""
    encoded = encode_marker(PullRequestMarker(tuple(updates)))
    assume(after.strip() and not after.strip().startswith("<!-- base-image-bot:"))
    assert parse_marker(encoded + "\n" + after.replace("\n", " ")) is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "no marker",
        "<!-- base-image-bot: {not json} -->",
        '<!-- base-image-bot: {"v": 1} -->',
        '<!-- base-image-bot: {"v": true, "updates": []} -->',
        '<!-- base-image-bot: {"v": 1, "updates": [{"key": 1}]} -->',
        '<!-- renovate: {"v": 1, "updates": []} -->',
    ],
)
def test_parse_marker_rejects_missing_or_malformed(body: str | None) -> None:
    assert parse_marker(body) is None


def test_parse_marker_skips_a_broken_marker_before_a_good_one() -> None:
    good = encode_marker(PullRequestMarker(()))
    assert parse_marker("<!-- base-image-bot: {oops} -->\n" + good) == PullRequestMarker(())


def test_titles() -> None:
    tag = MarkedUpdate(
        "k", "Dockerfile", "docker.io/library/python", "3.12.1-slim", "3.12.3-slim", "patch"
    )
    assert update_title(tag) == "chore(deps): update python docker tag to 3.12.3-slim"
    digest = MarkedUpdate(
        "k",
        "Dockerfile",
        "ghcr.io/a/b",
        "sha256:" + "1" * 64,
        "sha256:abcdef0123" + "0" * 54,
        "digest",
    )
    assert (
        update_title(digest, tag="1.2")
        == "chore(deps): update ghcr.io/a/b:1.2 docker digest to abcdef0"
    )
    assert update_title(tag, template="Bump {image} from {from} to {to} in {file}") == (
        "Bump python from 3.12.1-slim to 3.12.3-slim in Dockerfile"
    )
    assert group_title(1, "Dockerfile") == "chore(deps): update 1 docker base image in Dockerfile"
    assert display_image("index.docker.io/library/node") == "node"


@pytest.mark.parametrize("template", ["{nope}", "{image", "{0}", "{image.attr}x{bad}"])
def test_bad_templates_are_config_errors(template: str) -> None:
    with pytest.raises(ConfigError, match="title template"):
        render_template(template, {"image": "x"})


def test_commit_trailer_identifies_bot_commits() -> None:
    message = commit_message("chore(deps): update python docker tag to 3.12.3", ["b", "a", "a"])
    assert message == (
        "chore(deps): update python docker tag to 3.12.3\n\n"
        "Base-Image-Bot-Update: a\nBase-Image-Bot-Update: b\n"
    )
    assert is_bot_commit_message(message)
    assert not is_bot_commit_message("Fix typo\n\nmentions Base-Image-Bot-Update: in prose")
    assert commit_message("t", []) == "t\n"


@pytest.mark.parametrize(
    ("path", "include", "ignore", "expected"),
    [
        ("Dockerfile", ["**/Dockerfile"], [], True),
        ("a/b/Dockerfile", ["**/Dockerfile"], [], True),
        ("a/b/Dockerfile", ["Dockerfile"], [], True),  # a glob without "/" matches the name
        ("a/Dockerfile.dev", ["Dockerfile.*"], [], True),
        ("a/x.Dockerfile", ["*.Dockerfile"], [], True),
        ("a/b/x.Dockerfile", ["a/*.Dockerfile"], [], False),
        ("vendor/x/Dockerfile", ["Dockerfile"], [], False),  # never inside vendor/
        ("a/node_modules/x/Dockerfile", ["Dockerfile"], [], False),
        ("legacy/x/Dockerfile", ["Dockerfile"], ["legacy/**"], False),
        ("legacy/x/Dockerfile", ["Dockerfile"], ["legacy"], False),
        ("a/Dockerfile.dockerignore", ["Dockerfile.*"], [], False),
        ("docker/Dockerfile1", ["docker/Dockerfile[0-9]"], [], True),
        ("docker/Dockerfilex", ["docker/Dockerfile[!0-9]"], [], True),
    ],
)
def test_repository_paths_follow_discovery_rules(
    path: str, include: list[str], ignore: list[str], expected: bool
) -> None:
    assert is_dockerfile_path(path, include, ignore) is expected


@given(st.lists(st.text(alphabet="abc.-_", min_size=1, max_size=5), min_size=1, max_size=4))
def test_default_globs_find_dockerfiles_at_any_depth(parts: list[str]) -> None:
    path = "/".join([*parts, "Dockerfile"])
    assert is_dockerfile_path(path)
    assert is_dockerfile_path(path, ["**/Dockerfile"])
