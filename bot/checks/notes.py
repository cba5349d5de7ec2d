"""Governance notes in pull-request bodies (pure): what an update does for the checks.

Notes come from :class:`~bot.models.UpdateRecord` ``notes`` ("moves off Debian 11 (Bullseye),
Debian Security Support ended 2024-08-14"; the signature result of the new image). Parts of
them come from outside (lifecycle labels, certificate identities), so they are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import UpdateRecord
from bot.report.escape import md_text

#: Length bound of one note (a recommendation's reason names three images and their numbers).
NOTE_CHARS = 400


def notes_section(updates: Sequence[UpdateRecord]) -> str:
    """The ``Governance`` section of a PR body ("" when no update carries notes)."""
    notes = list(dict.fromkeys(n for u in updates for n in u.notes))
    if not notes:
        return ""
    return "\n".join(
        ["**Governance**", "", *(f"- {md_text(n, limit=NOTE_CHARS)}" for n in notes), ""]
    )


def with_notes(body: str, updates: Sequence[UpdateRecord]) -> str:
    """``body`` with the governance notes right after its first paragraph (the headline)."""
    section = notes_section(updates)
    if not section:
        return body
    head, sep, rest = body.partition("\n\n")
    if not sep:
        return f"{body.rstrip()}\n\n{section}"
    return f"{head}\n\n{section}\n{rest}"
