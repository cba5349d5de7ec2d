"""Tag versioning and update policy (pure: no I/O, no clock — ``now`` is a parameter).

Public API::

    parse_tag(tag, scheme="docker") -> ParsedTag | None
    ImageRule(match="*", update_types={patch, digest}, versioning="docker", allow=None,
              ignore=(), lts_only=False, java_lts=(8, 11, 17, 21, 25), min_age_days=0,
              pin_digests=False)                      # validates, raises PolicyError
    select_rule(rules, image_name) -> ImageRule       # last matching rule wins, no merging
    TagIndex.build(tags, versioning="docker") -> TagIndex   # parse a tag list once, reuse it
    choose_update(image_name, current_tag, tags | TagIndex, rule, *, created=None, now=None)
        -> TagDecision(new_tag, update_type, reason, code, current_in_registry)
    decide_digest(current_digest, new_digest, rule, tag_changed) -> UpdateType | None

Policy example (``python`` on patch + os, ``node`` LTS majors, an internal image on semver)::

    ImageRule(match="docker.io/library/python", update_types={"patch", "digest", "os"})
    ImageRule(match="docker.io/library/node", update_types={"patch", "minor", "major", "digest"},
              lts_only=True)
    ImageRule(match="ghcr.io/org/*", versioning="semver", ignore=(">=2",), min_age_days=3)

Modules: :mod:`.tags` (docker grammar, :class:`ParsedTag`), :mod:`.schemes` (semver, pep440,
loose, regex), :mod:`.ranges` (``allow``/``ignore``), :mod:`.families` (OS axis, LTS, PostgreSQL
numbering), :mod:`.rules` (:class:`UpdateType`, :class:`ImageRule`), :mod:`.index`
(:class:`TagIndex`), :mod:`.policy` (:func:`choose_update`, :func:`decide_digest`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.lazy import exports

if TYPE_CHECKING:
    from bot.versioning.index import TagIndex
    from bot.versioning.policy import (
        DecisionCode,
        TagDecision,
        choose_update,
        classify,
        decide_digest,
    )
    from bot.versioning.rules import DEFAULT_RULE, ImageRule, UpdateType, select_rule
    from bot.versioning.schemes import get_scheme, parse_tag
    from bot.versioning.tags import ParsedTag

__getattr__, __dir__ = exports(
    __name__,
    {
        "TagIndex": "index",
        "DecisionCode": "policy",
        "TagDecision": "policy",
        "choose_update": "policy",
        "classify": "policy",
        "decide_digest": "policy",
        "DEFAULT_RULE": "rules",
        "ImageRule": "rules",
        "UpdateType": "rules",
        "select_rule": "rules",
        "get_scheme": "schemes",
        "parse_tag": "schemes",
        "ParsedTag": "tags",
    },
    globals(),
)

__all__ = [
    "DEFAULT_RULE",
    "DecisionCode",
    "ImageRule",
    "ParsedTag",
    "TagDecision",
    "TagIndex",
    "UpdateType",
    "choose_update",
    "classify",
    "decide_digest",
    "get_scheme",
    "parse_tag",
    "select_rule",
]
