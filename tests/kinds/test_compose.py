"""Docker Compose extraction: services, interpolation from the file and .env, build skips."""

from __future__ import annotations

from bot.dockerfile.rewriter import Edit, can_rewrite, rewrite
from bot.kinds.compose import DotEnv, extract_compose
from bot.kinds.extract import FoundFile
from tests.kinds.helpers import extract_tree, round_trip, summary

COMPOSE = b"""\
# stack
x-base: &base
  restart: always
services:
  db:
    <<: *base
    image: "postgres:${PG_TAG:-16.1}"   # pinned by default
  cache:
    image: &redis redis:7.2.3
  cache-replica:
    image: *redis
  web:
    build: .
    image: acme/web:1.0
    pull_policy: build
  tool:
    build: ./tool
    image: busybox:1.36.1
  worker:
    build: ./worker
  py:
    image: python:${PY}-slim
  plain:
    image: python:${PY}
  runtime:
    image: ${REGISTRY}/app:2.0
  escaped:
    image: "nginx:1.25\\x2e3"
"""
ENV = b"# versions\nexport PY=3.12.1\nOTHER='x y'\n"


def _files() -> list[FoundFile]:
    return [
        FoundFile("stack/compose.yaml", "compose", COMPOSE),
        FoundFile("stack/.env", "compose-env", ENV),
    ]


def test_services_interpolation_and_skips() -> None:
    found = extract_tree(_files())
    assert summary(found["stack/compose.yaml"].extraction) == [
        "compose 7 postgres:16.1 [postgres:${PG_TAG:-16.1}]",
        "compose 9 redis:7.2.3",
        "compose 18 busybox:1.36.1",
        "skip compose 14 built-here acme/web:1.0",
        "skip compose 26 unresolved-variable ${REGISTRY}/app:2.0",
        "skip compose 28 scalar-style nginx:1.25.3",
    ]
    # Tags that come from .env are references of .env, at the variable's line.
    assert summary(found["stack/.env"].extraction) == [
        "compose 2 python:3.12.1-slim [python:${PY}-slim]",
        "compose 2 python:3.12.1 [python:${PY}]",
    ]


def test_default_word_is_rewritten_in_place() -> None:
    files = _files()
    db = extract_tree(files)["stack/compose.yaml"].extraction.references[0]
    out = round_trip(files, "stack/compose.yaml", db)["data"]
    assert b'image: "postgres:${PG_TAG:-9.9.9-rt}@sha256:' in out
    assert out.endswith(COMPOSE[COMPOSE.index(b"   # pinned") :])


def test_anchor_and_alias_are_one_reference() -> None:
    files = _files()
    redis = extract_tree(files)["stack/compose.yaml"].extraction.references[1]
    out = round_trip(files, "stack/compose.yaml", redis)["data"]
    assert b"image: &redis redis:9.9.9-rt@sha256:" in out
    assert b"image: *redis\n" in out


def test_dotenv_value_is_rewritten_and_shared_by_both_services() -> None:
    files = _files()
    env = extract_tree(files)["stack/.env"].extraction.references
    whole, partial = env[1], env[0]
    out = round_trip(files, "stack/.env", whole)["data"]
    assert out.startswith(b"# versions\nexport PY=9.9.9-rt@sha256:")
    # A partial tag (python:${PY}-slim) has nowhere to put a digest in .env: tags only.
    assert partial.pin_at is None
    assert can_rewrite(partial, "3.12.2-slim", "sha256:" + "a" * 64) == "no-pin-site"
    assert rewrite(ENV, [Edit(partial, new_tag="3.12.2-slim")]) == ENV.replace(b"3.12.1", b"3.12.2")


def test_without_dotenv_the_variable_is_unresolved() -> None:
    result = extract_compose(b"services:\n  a:\n    image: python:${PY}\n", "compose.yaml")
    assert [s.reason for s in result.compose.skipped] == ["unresolved-variable"]
    assert result.env == ()


def test_broken_dotenv_values_stay_unresolved() -> None:
    env = DotEnv(".env", b'PY="3.12\\n"\nQ=$PY\n')
    data = b"services:\n  a:\n    image: python:${PY}\n  b:\n    image: python:${Q}\n"
    result = extract_compose(data, "compose.yaml", env)
    assert [s.reason for s in result.compose.skipped] == ["unresolved-variable"] * 2


def test_not_yaml_and_wrong_shapes_are_reported_not_raised() -> None:
    bad = extract_compose(b"services:\n  a: [\n", "compose.yaml").compose
    assert [e.code for e in bad.errors] == ["yaml-syntax"]
    assert bad.errors[0].line == 3
    shape = extract_compose(b"services: [a, b]\n", "compose.yaml").compose
    assert [e.code for e in shape.errors] == ["bad-compose"]
    latin = extract_compose(b"services:\n  a:\n    image: caf\xe9:1\n", "compose.yaml").compose
    assert [e.code for e in latin.errors] == ["encoding"]


def test_merge_keys_follow_yaml_precedence() -> None:
    data = b"""\
x-a: &a {image: "alpine:3.18.4", restart: always}
x-b: &b {image: "busybox:1.36.1"}
x-c: &c {<<: *a}
services:
  first:
    <<: [*b, *a]        # earlier sources win: busybox
  own:
    <<: *a
    image: nginx:1.25.3 # the mapping's own key wins
  nested:
    <<: *c              # a merge of a merge: alpine
"""
    found = extract_compose(data, "compose.yaml").compose
    assert summary(found) == ["compose 1 alpine:3.18.4", "compose 2 busybox:1.36.1",
                              "compose 9 nginx:1.25.3"]  # fmt: skip


def test_a_long_merge_chain_is_bounded_not_fatal() -> None:
    chain = [b"a0: &a0 {image: 'alpine:3.18.4'}"]
    chain += [b"a%d: &a%d {<<: *a%d}" % (i, i, i - 1) for i in range(1, 3000)]
    data = b"\n".join([*chain, b"services:", b"  near: {<<: *a3}", b"  far: {<<: *a2999}", b""])
    found = extract_compose(data, "compose.yaml").compose
    # The image reached through a few merges is found; one 3,000 merges away is not followed.
    assert summary(found) == ["compose 1 alpine:3.18.4"]
    assert found.errors == ()
