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
}


def render_body(updates: Sequence[UpdateRecord], details: Sequence[str] = ()) -> str:
    """Markdown body for a PR carrying ``updates``; ``details`` are extra sections (changelog,
    package and vulnerability diffs, already safe Markdown) appended in order and cut, with a
    note, if too long. Values from the repository and the registry are escaped."""
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
    for section in details:
        if len(body) + len(section) + 2 > MAX_BODY_CHARS - len(TRUNCATED_NOTE):
            return body.rstrip() + TRUNCATED_NOTE
        body += "\n" + section.rstrip() + "\n"
    body += (
        "\n---\n<sub>Opened by base-image-bot. Merge it, or close it to skip this version.</sub>\n"
    )
    return body
