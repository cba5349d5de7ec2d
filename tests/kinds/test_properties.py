"""Property tests of every file kind: for generated files in every scalar style (plain, quoted,
anchored, flow, commented, CRLF, BOM), any accepted update changes exactly the reference's bytes,
reads back, and is idempotent; arbitrary bytes never crash an extractor."""

from __future__ import annotations

import itertools

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dockerfile.rewriter import Edit, can_rewrite, rewrite
from bot.kinds.compose import extract_compose
from bot.kinds.devcontainer import extract_devcontainer
from bot.kinds.extract import FoundFile
from bot.kinds.gitlab import extract_gitlab
from bot.kinds.helm import extract_helm
from bot.kinds.kubernetes import extract_kubernetes
from bot.kinds.workflows import extract_workflow
from tests.kinds.helpers import extract_tree, round_trip

_ANCHORS = itertools.count()  # anchors are unique within a document
NAMES = ["python", "library/nginx", "ghcr.io/org/app", "localhost:5000/team/svc", "quay.io/x/y"]
TAGS = st.sampled_from(["3.12.1", "1.25.3-alpine", "v1.2.3", "16.1-bookworm", "20.10.0", "latest"])
NEW_TAGS = st.sampled_from(
    ["3.12.2", "1.26", "2", "v9.9.9", "true", "1.25.4-alpine", "null", "x_y"]
)
DIGESTS = st.sampled_from([None, "sha256:" + "a" * 64, "sha512:" + "b" * 128])
NEW_DIGESTS = st.sampled_from([None, "sha256:" + "d" * 64])


@st.composite
def image_text(draw: st.DrawFn) -> str:
    digest = draw(DIGESTS)
    return f"{draw(st.sampled_from(NAMES))}:{draw(TAGS)}" + (f"@{digest}" if digest else "")


@st.composite
def scalar(draw: st.DrawFn, text: str | None = None) -> str:
    text = text if text is not None else draw(image_text())
    quoted = draw(st.sampled_from([text, f"'{text}'", f'"{text}"']))
    anchor = f"&a{next(_ANCHORS)} " if draw(st.integers(0, 2)) == 0 else ""
    return anchor + quoted


def _comment(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "  # pinned", " #x", ""]))


@st.composite
def compose_files(draw: st.DrawFn) -> bytes:
    lines = ["# generated", "services:"]
    for i in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            lines.append(f"  s{i}: {{image: {draw(scalar())}, restart: always}}")
        else:
            lines += [f"  s{i}:", f"    image: {draw(scalar())}{_comment(draw)}", "    ports: [80]"]
    return _finish(draw, lines)


@st.composite
def kubernetes_files(draw: st.DrawFn) -> bytes:
    docs = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["Deployment", "Job", "DaemonSet"]))
        containers = draw(st.sampled_from(["containers", "initContainers"]))
        docs.append(
            "\n".join(
                [
                    "apiVersion: apps/v1",
                    f"kind: {kind}",
                    f"metadata: {{name: w{i}}}",
                    "spec:",
                    "  template:",
                    "    spec:",
                    f"      {containers}:",
                    f"        - name: c{i}{_comment(draw)}",
                    f"          image: {draw(scalar())}",
                ]
            )  # fmt: skip
        )
    return _finish(draw, "\n---\n".join(docs).split("\n"))


@st.composite
def helm_files(draw: st.DrawFn) -> bytes:
    digest = draw(st.sampled_from(["", '""', "''", "sha256:" + "e" * 64]))
    tag = draw(scalar(draw(TAGS)))
    lines = ["image:", "  registry: docker.io", f"  repository: {draw(st.sampled_from(NAMES[:2]))}"]
    lines.append(f"  tag: {tag}{_comment(draw)}")
    if digest:
        lines.append(f"  digest: {digest}")
    lines += ["other:", f"  image: {draw(scalar())}"]
    return _finish(draw, lines)


@st.composite
def workflow_files(draw: st.DrawFn) -> bytes:
    lines = [
        "on: push", "jobs:", "  t:", f"    container: {draw(scalar())}", "    services:",
        f"      db: {{image: {draw(scalar())}}}", "    steps:",
        f"      - uses: {draw(scalar('docker://' + draw(image_text())))}",
    ]  # fmt: skip
    return _finish(draw, lines)


@st.composite
def gitlab_files(draw: st.DrawFn) -> bytes:
    lines = [
        f"image: {draw(scalar())}", "job:", "  image:", f"    name: {draw(scalar())}",
        "  services:", f"    - {draw(scalar())}", f"    - name: {draw(scalar())}",
    ]  # fmt: skip
    return _finish(draw, lines)


@st.composite
def devcontainer_files(draw: st.DrawFn) -> bytes:
    comma = draw(st.sampled_from(["", ","]))
    comment = draw(st.sampled_from(["", "// note\n", "/* a\n b */"]))
    text = (
        f'{comment}{{\n  "name": "dev",\n  {comment}"image": "{draw(image_text())}"'
        f'{comma}\n  "x": {{"image": "y:1"}}{comma}\n}}'
    )
    return _finish(draw, text.split("\n"), yaml_check=False)


def _finish(draw: st.DrawFn, lines: list[str], yaml_check: bool = True) -> bytes:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    text = bom + nl.join(lines) + draw(st.sampled_from(["", nl]))
    if yaml_check:
        list(yaml.safe_load_all(text.lstrip("\ufeff")))  # the generator makes valid YAML
    return text.encode("utf-8")


FORMATS = {
    "compose": ("compose.yaml", compose_files()),
    "kubernetes": ("k8s/app.yaml", kubernetes_files()),
    "helm": ("values.yaml", helm_files()),
    "github_actions": (".github/workflows/ci.yml", workflow_files()),
    "gitlab_ci": (".gitlab-ci.yml", gitlab_files()),
    "devcontainer": (".devcontainer/devcontainer.json", devcontainer_files()),
}


@st.composite
def any_file(draw: st.DrawFn) -> tuple[str, str, bytes]:
    kind = draw(st.sampled_from(sorted(FORMATS)))
    path, strategy = FORMATS[kind]
    return kind, path, draw(strategy)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(any_file(), NEW_TAGS, NEW_DIGESTS, st.data())
def test_updates_are_byte_exact_and_idempotent(
    generated: tuple[str, str, bytes], new_tag: str, new_digest: str | None, data: st.DataObject
) -> None:
    kind, path, content = generated
    files = [FoundFile(path, kind, content)]
    extraction = extract_tree(files)[path].extraction
    assert extraction.errors == ()
    assert extraction.references, content
    for reference in extraction.references:
        # The guarantees for the harness's own update, in every style.
        round_trip(files, path, reference)
    reference = data.draw(st.sampled_from(extraction.references))
    reason = can_rewrite(reference, new_tag, new_digest)
    if reason is not None:
        # Refusals are only for YAML typing, or when there is nowhere to put a digest.
        assert reason in ("yaml-type", "no-pin-site"), reason
        return
    edit = Edit(reference, new_tag=new_tag, new_digest=new_digest)
    out = rewrite(content, [edit])
    again = extract_tree([FoundFile(path, kind, out)])[path].extraction
    assert len(again.references) == len(extraction.references)
    moved = [r for r in again.references if r.line == reference.line and r.ref.tag == new_tag]
    assert moved, out
    assert rewrite(out, [Edit(moved[0], new_tag=new_tag, new_digest=new_digest)]) == out
    assert len(out) - len(content) == len(new_tag) - len(reference.tag.span.text) + (  # type: ignore[union-attr]
        0
        if new_digest is None
        else len(new_digest)
        - len(reference.ref.digest or "")
        + (0 if reference.ref.digest or reference.digest else 1)
    )


EXTRACTORS = [
    lambda d: extract_compose(d, "compose.yaml").compose,
    lambda d: extract_kubernetes(d, "kustomization.yaml"),
    lambda d: extract_helm(d, "values.yaml"),
    lambda d: extract_workflow(d, "ci.yml"),
    lambda d: extract_gitlab(d, ".gitlab-ci.yml"),
    lambda d: extract_devcontainer(d, "devcontainer.json"),
]


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=300)
    | st.text("{}[]:,-&*!|>'\"# \n\timage:$\\/@", max_size=200).map(str.encode)
)
def test_arbitrary_input_never_crashes(data: bytes) -> None:
    for extractor in EXTRACTORS:
        extractor(data)
