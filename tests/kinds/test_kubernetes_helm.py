"""Kubernetes manifests (by content), kustomizations and Helm values."""

from __future__ import annotations

from bot.dockerfile.rewriter import can_rewrite
from bot.kinds.extract import FoundFile
from bot.kinds.helm import extract_helm
from bot.kinds.kubernetes import extract_kubernetes
from tests.kinds.helpers import extract_tree, round_trip, summary

WORKLOADS = b"""\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: wait
              image: 'busybox:1.36.1'
          containers:
            - {name: job, image: "python:3.12.1-slim"}
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    spec:
      template:
        spec:
          containers:
            - name: db
              image: postgres:16.1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
          ephemeralContainers:
            - name: debug
              image: alpine:3.19.0
---
apiVersion: v1
kind: ConfigMap
data:
  image: nginx:1.25.3
"""


def test_every_container_list_of_every_workload() -> None:
    extraction = extract_kubernetes(WORKLOADS, "k8s/jobs.yaml")
    assert extraction is not None
    assert summary(extraction) == [
        "kubernetes 11 busybox:1.36.1",
        "kubernetes 13 python:3.12.1-slim",
        "kubernetes 25 postgres:16.1@sha256:" + "a" * 64,
        "kubernetes 28 alpine:3.19.0",
    ]


def test_manifest_references_round_trip_in_every_style() -> None:
    files = [FoundFile("k8s/jobs.yaml", "kubernetes", WORKLOADS)]
    for reference in extract_tree(files)["k8s/jobs.yaml"].extraction.references:
        round_trip(files, "k8s/jobs.yaml", reference)


def test_yaml_that_is_not_a_manifest_is_not_a_file_of_this_kind() -> None:
    assert extract_kubernetes(b"name: x\nimage: nginx:1\n", "k8s/values.yaml") is None
    assert extract_kubernetes(b"a: [\n", "k8s/notes.yaml") is None
    assert extract_kubernetes(b"apiVersion: v1\nkind: Pod\n", "k8s/empty.yaml") is not None
    broken = extract_kubernetes(b"apiVersion: v1\nkind: Pod\nspec: [\n", "k8s/pod.yaml")
    assert broken is not None
    assert [e.code for e in broken.errors] == ["yaml-syntax"]


KUSTOMIZATION = b"""\
resources: [deployment.yaml]
images:
  - name: postgres
    newName: registry.example.com/mirror/postgres
    newTag: "16.1"
  - name: nginx
    newTag: 1.25.3
    digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  - name: redis
    newName: registry.example.com/redis
"""


def test_kustomize_images_edit_new_tag_and_digest() -> None:
    files = [FoundFile("overlays/prod/kustomization.yaml", "kubernetes", KUSTOMIZATION)]
    extraction = extract_tree(files)["overlays/prod/kustomization.yaml"].extraction
    assert summary(extraction) == [
        "kustomize 5 registry.example.com/mirror/postgres:16.1",
        "kustomize 7 nginx:1.25.3@sha256:" + "b" * 64,
    ]
    postgres, nginx = extraction.references
    # No digest key: a tag update is fine, a pin has nowhere to go.
    assert can_rewrite(postgres, "16.2", "sha256:" + "c" * 64) == "no-pin-site"
    round_trip(files, "overlays/prod/kustomization.yaml", postgres)
    out = round_trip(files, "overlays/prod/kustomization.yaml", nginx)["data"]
    assert b"    newTag: 9.9.9-rt\n    digest: sha256:" + b"c" * 64 + b"\n" in out


VALUES = b"""\
image:
  registry: docker.io
  repository: bitnami/nginx
  tag: 1.25.3-debian-12-r0
  digest: ""
sidecar:
  image: {repository: busybox, tag: 1.36}
metrics:
  image:
    repository: prom/statsd-exporter
    tag: ""
job:
  image: "alpine:3.19.0"
plain:
  image: controller
"""


def test_helm_shapes() -> None:
    extraction = extract_helm(VALUES, "values.yaml")
    assert summary(extraction) == [
        "helm 4 docker.io/bitnami/nginx:1.25.3-debian-12-r0",
        "helm 7 busybox:1.36",
        "helm 13 alpine:3.19.0",
        "skip helm 10 no-tag prom/statsd-exporter",
    ]


def test_helm_fills_an_empty_digest_and_keeps_tags_strings() -> None:
    files = [FoundFile("values.yaml", "helm", VALUES)]
    nginx, busybox, _ = extract_tree(files)["values.yaml"].extraction.references
    out = round_trip(files, "values.yaml", nginx)["data"]
    assert b'  tag: 9.9.9-rt\n  digest: "sha256:' + b"c" * 64 + b'"\n' in out
    # ``tag: 1.37`` would make the chart read a float: refused, a string-shaped tag is fine.
    assert can_rewrite(busybox, "1.37") == "yaml-type"
    assert can_rewrite(busybox, "1.37.0") is None
    assert can_rewrite(busybox, None, "sha256:" + "c" * 64) == "no-pin-site"
