"""Publications read from the build metadata repositories carry: workflows, Bake, compose,
the publishes map (through the public ``repo_facts``)."""

from __future__ import annotations

from pathlib import Path

from bot.kinds.extract import FoundFile, extract_files
from bot.lineage.facts import repo_facts
from bot.lineage.model import Dockerfile, RepoFacts
from bot.lineage.settings import publishes_from_config
from bot.pipeline.sources import SourceFile

REPO = "acme/base"


def facts(files: dict[str, str], kinds: dict[str, str], publishes: dict[str, object] | None = None,
          repo: str | None = REPO) -> RepoFacts:  # fmt: skip
    found = [FoundFile(path, kinds.get(path, "dockerfile"), text.encode()) for path, text in files.items()
             if kinds.get(path) != "raw"]  # fmt: skip
    sources = [
        SourceFile(
            e.file.path, Path(e.file.path), e.file.data, e.extraction, repo, kind=e.file.kind
        )
        for e in extract_files(found)
    ]
    raw = [FoundFile(path, "", text.encode()) for path, text in files.items()]
    return repo_facts(repo, sources, raw, publishes_from_config(publishes or {}))


def published(result: RepoFacts) -> set[tuple[str, str, str]]:
    return {(p.image, p.dockerfile.path, p.via) for p in result.publications}


WORKFLOW = """\
on: push
env:
  REGISTRY: ghcr.io
jobs:
  python:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: |
            ${{ env.REGISTRY }}/${{ github.repository_owner }}/python-base
            name=docker.io/acme/python-base,enable=${{ github.ref == 'refs/heads/main' }}
            name=quay.io/acme/off,enable=false
      - uses: docker/build-push-action@v6
        with:
          context: "{{defaultContext}}:python"
          push: true
          tags: ${{ steps.meta.outputs.tags }}
  node:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: ./node/Containerfile
          tags: ghcr.io/acme/node-base:20, ghcr.io/acme/node-base:latest
      - uses: docker/build-push-action@v6
        with:
          tags: ghcr.io/acme/${{ matrix.flavour }}:1
"""


def test_build_push_action_steps_name_the_image_and_dockerfile() -> None:
    result = facts(
        {".github/workflows/build.yml": WORKFLOW, "python/Dockerfile": "FROM python:3.12.1-slim\n",
         "node/Containerfile": "FROM node:20.10.0\n", "Dockerfile": "FROM scratch\n"},
        {".github/workflows/build.yml": "github_actions"},
    )  # fmt: skip
    assert published(result) == {
        ("ghcr.io/acme/python-base", "python/Dockerfile", "workflow"),
        ("docker.io/acme/python-base", "python/Dockerfile", "workflow"),
        ("ghcr.io/acme/node-base", "node/Containerfile", "workflow"),
    }
    node = next(p for p in result.publications if p.image.endswith("node-base"))
    assert node.tags == ("20", "latest")
    assert node.where == "acme/base:.github/workflows/build.yml:24"
    assert [n.message for n in result.notes] == [
        "image 'ghcr.io/acme/${{ matrix.flavour }}:1' is known only when the workflow runs"
    ]
    assert result.usages[0].dockerfile == Dockerfile(REPO, "node/Containerfile")


BAKE = """\
variable "REGISTRY" { default = "ghcr.io/acme" }
variable "TAG" {}
group "default" { targets = ["python", "tools"] }
target "_common" {
  context = "images"
}
target "python" {
  inherits = ["_common"]
  dockerfile = "python.Dockerfile"
  tags = ["${REGISTRY}/python-base:3.12", "${REGISTRY}/python-base:${TAG}"]
}
target "tools" {
  context = "tools"
  tags = ["ghcr.io/acme/tools:1"]
}
target "inline" {
  dockerfile-inline = "FROM alpine"
  tags = ["ghcr.io/acme/inline:1"]
}
"""


def test_bake_targets_follow_inherits_contexts_and_variable_defaults() -> None:
    result = facts(
        {"docker-bake.hcl": BAKE, "images/python.Dockerfile": "FROM python:3.12.1-slim\n",
         "tools/Dockerfile": "FROM golang:1.21.5\n"},
        {"docker-bake.hcl": "raw"},
    )  # fmt: skip
    assert published(result) == {
        ("ghcr.io/acme/python-base", "images/python.Dockerfile", "bake"),
        ("ghcr.io/acme/tools", "tools/Dockerfile", "bake"),
    }
    python = next(p for p in result.publications if p.image.endswith("python-base"))
    assert python.tags == ("3.12",)
    assert python.where == "acme/base:docker-bake.hcl:7"
    assert "image '${REGISTRY}/python-base:${TAG}' is known only when Bake runs" in {
        n.message.partition(": ")[2] for n in result.notes
    }


def test_bake_json_and_broken_bake_files() -> None:
    json_bake = '{"target": {"app": {"context": "app", "tags": ["ghcr.io/acme/app:1"]}}}'
    result = facts(
        {"sub/docker-bake.json": json_bake, "sub/app/Dockerfile": "FROM alpine:3.18.4\n",
         "docker-bake.hcl": 'target "x" {'},
        {"sub/docker-bake.json": "raw", "docker-bake.hcl": "raw"},
    )  # fmt: skip
    assert published(result) == {("ghcr.io/acme/app", "sub/app/Dockerfile", "bake")}
    assert any("not a readable Bake file" in n.message for n in result.notes)


def test_compose_services_that_build_and_name_an_image() -> None:
    compose = """\
services:
  api:
    build: ./api
    image: ${REGISTRY:-ghcr.io/acme}/api:${TAG}
  worker:
    build: {context: ., dockerfile: worker/Dockerfile}
    image: ghcr.io/acme/worker
  db:
    image: postgres:16.1
  inline:
    build: {dockerfile_inline: "FROM alpine"}
    image: ghcr.io/acme/inline
"""
    result = facts(
        {"deploy/compose.yaml": compose, "deploy/.env": "TAG=2.0\n",
         "deploy/api/Dockerfile": "FROM python:3.12.1-slim\n",
         "deploy/worker/Dockerfile": "FROM python:3.12.1-slim\n"},
        {"deploy/compose.yaml": "compose", "deploy/.env": "compose-env"},
    )  # fmt: skip
    assert published(result) == {
        ("ghcr.io/acme/api", "deploy/api/Dockerfile", "compose"),
        ("ghcr.io/acme/worker", "deploy/worker/Dockerfile", "compose"),
    }
    api = next(p for p in result.publications if p.image.endswith("/api"))
    assert api.tags == ("2.0",)


def test_publishes_from_the_configuration_and_the_repository_itself() -> None:
    own = "publishes:\n  python/Dockerfile: ghcr.io/acme/python-base:1.4\n  other/x:Dockerfile: ghcr.io/x/y\n"
    result = facts(
        {".github/base-image-bot.yml": own, "python/Dockerfile": "FROM python:3.12.1-slim\n",
         "node/Dockerfile": "FROM node:20.10.0\n"},
        {".github/base-image-bot.yml": "raw"},
        publishes={"acme/base:node/Dockerfile": ["ghcr.io/acme/node-base"],
                   "acme/other:Dockerfile": "ghcr.io/acme/other", "lost/Dockerfile": "ghcr.io/acme/l"},
    )  # fmt: skip
    assert published(result) == {
        ("ghcr.io/acme/python-base", "python/Dockerfile", "config"),
        ("ghcr.io/acme/node-base", "node/Dockerfile", "config"),
    }
    assert [n.message for n in result.notes] == [
        "publishes: other/x:Dockerfile names another repository"
    ]


def test_a_publication_of_a_dockerfile_not_read_is_a_note() -> None:
    result = facts({"Dockerfile": "FROM alpine:3.18.4\n"}, {},
                   publishes={"acme/base:missing/Dockerfile": "ghcr.io/acme/m"})  # fmt: skip
    assert published(result) == {("ghcr.io/acme/m", "missing/Dockerfile", "config")}
    assert "missing/Dockerfile is not a Dockerfile the bot read" in result.notes[0].message


def test_usages_are_every_from_and_copy_from_but_not_syntax_or_stages() -> None:
    dockerfile = """\
# syntax=docker/dockerfile:1.6
ARG BASE=ghcr.io/acme/python-base:1.4
FROM golang:1.21.5 AS build
FROM ${BASE}
COPY --from=build /app /app
COPY --from=ghcr.io/acme/tools:1 /bin/tool /bin/tool
"""
    result = facts({"Dockerfile": dockerfile}, {})
    assert [(u.kind, u.image, u.tag) for u in result.usages] == [
        ("arg", "ghcr.io/acme/python-base", "1.4"),
        ("from", "docker.io/library/golang", "1.21.5"),
        ("copy-from", "ghcr.io/acme/tools", "1"),
    ]
