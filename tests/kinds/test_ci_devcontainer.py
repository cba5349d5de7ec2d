"""GitHub Actions workflows, GitLab CI and dev containers."""

from __future__ import annotations

from bot.kinds.devcontainer import extract_devcontainer
from bot.kinds.extract import FoundFile
from bot.kinds.gitlab import extract_gitlab
from bot.kinds.workflows import extract_workflow
from tests.kinds.helpers import extract_tree, round_trip, summary

WORKFLOW = b"""\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container: python:3.12.1-slim
    services:
      db:
        image: postgres:16.1
      cache: {image: 'redis:7.2.3'}
    steps:
      - uses: actions/checkout@v4
      - uses: docker://alpine:3.19.0
      - uses: "docker://ghcr.io/org/tool:1.2.3"
  matrix:
    strategy: {matrix: {img: [a, b]}}
    container:
      image: ${{ matrix.img }}
"""


def test_workflow_containers_services_and_docker_steps() -> None:
    assert summary(extract_workflow(WORKFLOW, ".github/workflows/ci.yml")) == [
        "workflow-container 5 python:3.12.1-slim",
        "workflow-service 8 postgres:16.1",
        "workflow-service 9 redis:7.2.3",
        "workflow-step 12 alpine:3.19.0",
        "workflow-step 13 ghcr.io/org/tool:1.2.3",
        "skip workflow-container 17 unresolved-variable ${{ matrix.img }}",
    ]


def test_workflow_round_trips() -> None:
    files = [FoundFile(".github/workflows/ci.yml", "github_actions", WORKFLOW)]
    references = extract_tree(files)[".github/workflows/ci.yml"].extraction.references
    outs = [round_trip(files, ".github/workflows/ci.yml", r)["data"] for r in references]
    assert b'uses: "docker://ghcr.io/org/tool:9.9.9-rt@sha256:' in outs[-1]


def test_action_metadata_docker_image() -> None:
    action = b"runs:\n  using: docker\n  image: docker://debian:12.4\n"
    assert summary(extract_workflow(action, "action.yml")) == ["workflow-step 3 debian:12.4"]


GITLAB = b"""\
variables:
  PG_VERSION: "16.1"
image: ruby:3.2.2
services:
  - postgres:$PG_VERSION
  - name: redis:7.2.3
    alias: cache
.template: &tpl
  image:
    name: node:20.10.0
    entrypoint: [""]
build:
  <<: *tpl
  script: [make]
deploy:
  variables:
    PG_VERSION: "15.5"
  services: ["postgres:${PG_VERSION}"]
  image: $CI_REGISTRY_IMAGE/deployer:1.0
"""


def test_gitlab_images_services_and_variables() -> None:
    assert summary(extract_gitlab(GITLAB, ".gitlab-ci.yml")) == [
        "gitlab-service 2 postgres:16.1 [postgres:$PG_VERSION]",
        "gitlab-image 3 ruby:3.2.2",
        "gitlab-service 6 redis:7.2.3",
        "gitlab-image 10 node:20.10.0",
        "gitlab-service 17 postgres:15.5 [postgres:${PG_VERSION}]",
        "skip gitlab-image 19 unresolved-variable $CI_REGISTRY_IMAGE/deployer:1.0",
    ]


def test_gitlab_variable_is_rewritten_where_defined() -> None:
    files = [FoundFile(".gitlab-ci.yml", "gitlab_ci", GITLAB)]
    references = extract_tree(files)[".gitlab-ci.yml"].extraction.references
    out = round_trip(files, ".gitlab-ci.yml", references[0])["data"]
    # The tag where the variable is defined, the digest right after the reference.
    assert out.startswith(b'variables:\n  PG_VERSION: "9.9.9-rt"\n')
    assert b"  - postgres:$PG_VERSION@sha256:" in out
    for reference in references[1:]:
        round_trip(files, ".gitlab-ci.yml", reference)


DEVCONTAINER = b"""\
// A dev container /* not a comment opener */
{
\t"name": "app", // trailing comment
\t/* block
\t   comment */
\t"customizations": {"image": "nested:1.0"},
\t"image": "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm",
\t"features": {"ghcr.io/devcontainers/features/node:1": {}},
}
"""


def test_devcontainer_top_level_image_only() -> None:
    assert summary(extract_devcontainer(DEVCONTAINER, ".devcontainer/devcontainer.json")) == [
        "devcontainer 7 mcr.microsoft.com/devcontainers/python:1-3.12-bookworm"
    ]
    files = [FoundFile(".devcontainer/devcontainer.json", "devcontainer", DEVCONTAINER)]
    reference = extract_tree(files)[".devcontainer/devcontainer.json"].extraction.references[0]
    round_trip(files, ".devcontainer/devcontainer.json", reference)


def test_devcontainer_escapes_and_bad_json() -> None:
    escaped = b'{"image": "python:3.12\\u002e1"}'
    assert summary(extract_devcontainer(escaped, "d.json")) == [
        "skip devcontainer 1 scalar-style python:3.12.1"
    ]
    for bad in (b"[1]", b'{"image": "x"', b'{"a": 1} x', b'{"a": }}'):
        extraction = extract_devcontainer(bad, "d.json")
        assert [e.code for e in extraction.errors] == ["json-syntax"], bad
    deep = b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}"
    assert [e.code for e in extract_devcontainer(deep, "d.json").errors] == ["json-syntax"]
