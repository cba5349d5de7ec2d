"""Pull-request bodies (pure): what changes, where, and why it is safe to take."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import UpdateRecord
from bot.report.escape import md_code, md_text
from bot.report.text import describe_version, display_name

#: GitHub rejects bodies over 65,536 characters; stay well below with room for the marker.
MAX_BODY_CHARS = 60_000
TRUNCATED_NOTE = "\n\n_The description was truncated to stay within GitHub's size limit._\n"

_KIND_WORDS = {
    "from": "FROM",
    "arg": "ARG default",
    "copy-from": "COPY --from",
    "mount-from": "RUN --mount from=",
    "syntax": "# syntax=",
    "compose": "compose image",
    "kubernetes": "container image",
    "kustomize": "kustomize newTag",
    "helm": "Helm values",
    "workflow-container": "job container",
    "workflow-service": "service container",
    "workflow-step": "docker:// step",
    "devcontainer": "dev container image",
    "gitlab-image": "GitLab CI image",
    "gitlab-service": "GitLab CI service",
}


def render_body(
    updates: Sequence[UpdateRecord],
    details: Sequence[str] = (),
    *,
    max_chars: int = MAX_BODY_CHARS,
) -> str:
    """Markdown body for a PR carrying ``updates``; ``details`` are extra sections (changelog,
    package and vulnerability diffs, already safe Markdown) appended in order and cut, with a
    note, if too long. Values from the repository and the registry are escaped.

    The body stays within ``max_chars``: past that, table rows are left out with a count."""
    lines = ["This pull request updates Docker base images.", ""]
    lines += [
        "| File | Line | Instruction | Image | From | To | Update |",
        "|---|---:|---|---|---|---|---|",
    ]
    for u in updates:
        lines.append(
            f"| {md_code(u.path)} | {u.line} | {md_text(_KIND_WORDS.get(u.kind, u.kind))} "
            f"| {md_code(display_name(u.image))} | {md_code(describe_version(u.current))} "
            f"| {md_code(describe_version(u.proposed))} | {md_text(u.update_type)} |"
        )
    lines.append("")
    if any(u.proposed.digest for u in updates):
        lines += [
            "Digests are full `sha256` digests in the Dockerfile; the table shows their first "
            "12 hex digits.",
            "",
        ]
    body = "\n".join(lines)
    if len(body) + len(_FOOTER) > max_chars:
        return _cut_table(lines, len(updates), max_chars)
    for section in details:
        if len(body) + len(section) + 2 > max_chars - len(TRUNCATED_NOTE):
            return body.rstrip() + TRUNCATED_NOTE
        body += "\n" + section.rstrip() + "\n"
    return body + _FOOTER


_FOOTER = (
    "\n---\n<sub>Opened by base-image-bot. Merge it, or close it to skip this version.</sub>\n"
)


def _cut_table(lines: list[str], rows: int, max_chars: int) -> str:
    """The intro and as many table rows as fit in ``max_chars``, then how many were left out."""
    head, table = lines[:4], lines[4 : 4 + rows]
    kept: list[str] = []
    size = sum(len(line) + 1 for line in head) + 200
    for row in table:
        if size + len(row) + 1 > max_chars:
            break
        kept.append(row)
        size += len(row) + 1
    note = f"\n_… and {rows - len(kept)} more updates: the JSON report lists them all._"
    return "\n".join([*head, *kept]) + note + TRUNCATED_NOTE
