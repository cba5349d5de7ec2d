"""Size bounds of the files the bot reads, in one place: a local run and a repository run read
the same files (a file one of them reads, the other reads too)."""

from __future__ import annotations

MIB = 1024 * 1024

#: Dockerfiles larger than this are reported, not read (no real Dockerfile comes close).
MAX_DOCKERFILE_BYTES = 4 * MIB
#: Files of the other kinds (compose, manifests, Helm values, workflows, dev containers, GitLab
#: CI) larger than this are not read, unless ``discovery.<kind>.max_bytes`` says otherwise.
DEFAULT_KIND_MAX_BYTES = MIB
#: The bot's configuration files: the operator's and a repository's own.
MAX_CONFIG_BYTES = MIB
