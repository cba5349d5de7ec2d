"""Dockerfile stage: discovery, image-reference parsing, extraction and byte-exact rewriting.

Entry points: :func:`discover` (find files), :func:`extract` (bytes -> :class:`Extraction`),
:func:`can_rewrite` / :func:`rewrite` (apply :class:`Edit` updates byte-exactly) and
:class:`ImageRef` (parse one reference).
"""

from __future__ import annotations

from bot.dockerfile.discover import DEFAULT_INCLUDE, discover
from bot.dockerfile.extract import extract
from bot.dockerfile.imageref import ImageRef
from bot.dockerfile.model import (
    SKIP_REASONS,
    ExtractError,
    Extraction,
    Reference,
    Skipped,
    Span,
    TagSlot,
)
from bot.dockerfile.rewriter import REWRITE_REASONS, Edit, can_rewrite, collateral, rewrite

__all__ = [
    "DEFAULT_INCLUDE",
    "REWRITE_REASONS",
    "SKIP_REASONS",
    "Edit",
    "ExtractError",
    "Extraction",
    "ImageRef",
    "Reference",
    "Skipped",
    "Span",
    "TagSlot",
    "can_rewrite",
    "collateral",
    "discover",
    "extract",
    "rewrite",
]
