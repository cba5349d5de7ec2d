"""Small text helpers shared by the table and Markdown renderers."""

from __future__ import annotations

from bot.forge.branches import display_image
from bot.models import ImageVersion, RunReport


def short_digest(digest: str | None) -> str:
    """``sha256:0123456789ab…`` → ``sha256:0123456789ab`` (12 hex digits)."""
    if not digest:
        return ""
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}"


def describe_version(version: ImageVersion) -> str:
    """``3.12.1-slim@sha256:0123456789ab`` (either part may be absent)."""
    tag = version.tag or ""
    digest = short_digest(version.digest)
    if tag and digest:
        return f"{tag}@{digest}"
    return tag or digest or "latest"


def display_name(image: str) -> str:
    """Short form people write: ``docker.io/library/python`` → ``python``."""
    return display_image(image)


def summary_line(report: RunReport) -> str:
    """One-line totals: files, references, updates, skipped, errors."""

    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    parts = [
        plural(report.files_scanned, "file"),
        plural(report.references_found, "reference"),
        plural(len(report.updates), "update"),
        f"{len(report.skipped)} skipped",
        plural(len(report.errors), "error"),
    ]
    if report.findings:
        parts.append(plural(len(report.findings), "finding"))
    if report.written:
        parts.append(f"{plural(len(report.written), 'file')} rewritten")
    return ", ".join(parts)
