"""Which images to compare with a base-image reference: a bounded, ordered candidate list. Pure.

For ``python:3.12.1-slim`` with a tag list, the update policy's rule and the lifecycle verdict
of a tag (``is_eol``):

1. ``update``: the newest tag of the current release line in the same variant
   (``3.12.14-slim``), within the rule's ``allow``/``ignore``;
2. ``next-line``: the newest tag of the nearest newer release line that is not past its end of
   life (``3.13.5-slim``), within ``allow``/``ignore`` and ``lts_only``;
3. ``variant``: the same version as (1) in other variants, one per flavour, smallest first:
   ``-alpine``, ``-slim``, the full image, and the current flavour on a newer embedded OS
   (``-slim-bookworm`` → ``-slim-trixie``); never a Windows variant for a Linux platform,
   never an end-of-life OS;
4. ``substitute``: configured other images (``recommend.alternatives``), tag templates filled
   with the version of (1).

The list keeps the first two and up to two variants, then the substitutes, then the other
variants, cut at ``max_candidates``. The update policy's ``update_types`` do not limit it:
recommendations only inform; a variant switch is proposed only where a rule allows ``variant``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

from bot.dockerfile.imageref import ImageRef
from bot.errors import BotError
from bot.recommend.model import LINE, SUBSTITUTE, UPDATE, VARIANT, Candidate
from bot.versioning import ImageRule, TagIndex, UpdateType, choose_update, parse_tag
from bot.versioning.families import (
    find_os_variant,
    image_family,
    is_lts_release,
    second_component_is_patch,
)
from bot.versioning.tags import ParsedTag

__all__ = ["flavour", "propose_candidates", "substitute_tags"]

_WINDOWS = re.compile(r"windowsservercore|nanoserver|ltsc\d{4}|windows")
_PLACEHOLDER = re.compile(r"\{(major|minor|version|suffix)\}")
#: Flavours in order of interest: the smallest images first.
FLAVOURS = ("alpine", "slim", "full")


def flavour(suffix: str) -> str:
    """``alpine``, ``slim`` or ``full`` (anything else: the suffix's words without OS tokens)."""
    words = [w for w in suffix.lower().split("-") if w]
    if any(w.startswith("alpine") for w in words):
        return "alpine"
    if "slim" in words:
        return "slim"
    rest = [w for w in words if find_os_variant(w) is None]
    return "-".join(rest) or "full"


def _line(tag: ParsedTag, family: str) -> tuple[int, ...]:
    if family in ("node", "java") or second_component_is_patch(family, tag.release):
        return tag.release[:1]
    return tag.release[:2]


def _allowed(rule: ImageRule, tag: ParsedTag, family: str) -> bool:
    if rule.allow_range is not None and not rule.allow_range.contains(tag):
        return False
    if any(r.contains(tag) for r in rule.ignore_ranges):
        return False
    return not rule.lts_only or is_lts_release(family, tag.release, tag.prefix, rule.java_lts)


def _newest_of_line(image: str, tag: str, index: TagIndex, rule: ImageRule) -> str:
    patch_only = dataclasses.replace(rule, update_types=frozenset({UpdateType.PATCH}),
                                     min_age_days=0)  # fmt: skip
    decision = choose_update(image, tag, index, patch_only)
    return decision.new_tag or tag


def _next_line(
    current: ParsedTag, index: TagIndex, rule: ImageRule, family: str, is_eol: Callable[[str], bool]
) -> tuple[str, tuple[int, ...]] | None:
    here = _line(current, family)
    newest: dict[tuple[int, ...], str] = {}
    for cand in index.newer(current):
        key = _line(cand, family)
        if key <= here or key in newest or not cand.stable or not _allowed(rule, cand, family):
            continue
        newest[key] = cand.tag
    for key in sorted(newest):
        if not is_eol(newest[key]):
            return newest[key], key
    return None


def _base(tag: ParsedTag) -> str:
    return tag.tag[: len(tag.tag) - len(tag.suffix) - 1] if tag.suffix else tag.tag


def _variants(
    target: ParsedTag, tags: Sequence[str], linux: bool, is_eol: Callable[[str], bool]
) -> list[Candidate]:
    base = _base(target)
    mine = flavour(target.suffix)
    current_os = find_os_variant(target.tag)
    groups: dict[str, list[str]] = {}
    for tag in tags:
        if tag == target.tag or not (tag == base or tag.startswith(base + "-")):
            continue
        parsed = parse_tag(tag)
        if parsed is None or parsed.release != target.release or parsed.pre != target.pre:
            continue
        if parsed.prefix != target.prefix or (linux and _WINDOWS.search(parsed.suffix)):
            continue
        groups.setdefault(flavour(parsed.suffix), []).append(tag)
    found: list[Candidate] = []
    order = sorted(groups, key=lambda f: (FLAVOURS.index(f) if f in FLAVOURS else 9, f))
    for name in order:
        members = sorted(t for t in groups[name] if not is_eol(t))
        if not members:
            continue
        if name == mine:
            newer = [
                (os.version, t)
                for t in members
                if (os := find_os_variant(t)) is not None
                and current_os is not None
                and os.family == current_os.family
                and os.version > current_os.version
            ]
            if newer:
                tag = max(newer)[1]
                why = (
                    f"newer {current_os.family} release than {current_os.token}"
                    if current_os
                    else ""
                )
                found.append(Candidate("", tag, VARIANT, why))
            continue
        floating = [t for t in members if find_os_variant(t) is None]
        explicit = sorted(
            (os.version, t) for t in members if (os := find_os_variant(t)) is not None
        )
        prefer_floating = current_os is None
        if prefer_floating and floating:
            tag = min(floating, key=len)
        elif explicit:
            tag = explicit[-1][1]
        else:
            tag = min(floating, key=len)
        found.append(Candidate("", tag, VARIANT, f"{name} variant of {base}"))
    return found


def substitute_tags(templates: Sequence[str], version: ParsedTag | None) -> list[tuple[str, str]]:
    """``(image name, tag)`` of configured substitutes, ``{major}``, ``{minor}``
    (``major.minor``), ``{version}`` and ``{suffix}`` filled from ``version``; a template that
    needs a version when there is none, or does not parse, is left out."""
    values: dict[str, str] = {}
    if version is not None:
        values = {
            "major": str(version.release[0]),
            "minor": ".".join(map(str, version.release[:2])),
            "version": ".".join(map(str, version.release)),
            "suffix": version.suffix,
        }
    found = []
    for template in templates:
        if _PLACEHOLDER.search(template):
            if not values:
                continue
            template = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
        try:
            ref = ImageRef.parse(template)
        except BotError:
            continue
        found.append((ref.name, ref.tag or "latest"))
    return found


def propose_candidates(
    image: str,
    tag: str,
    tags: Sequence[str],
    rule: ImageRule,
    *,
    is_eol: Callable[[str], bool],
    substitutes: Sequence[str] = (),
    max_candidates: int = 6,
    linux: bool = True,
) -> list[Candidate]:
    """The candidates for ``image:tag`` (see the module docstring), at most ``max_candidates``,
    never the current tag itself."""
    index = TagIndex.build(tags, rule.versioning)
    family = image_family(image)
    current = parse_tag(tag, rule.versioning)
    head: list[Candidate] = []
    variants: list[Candidate] = []
    target = current
    if current is not None:
        newest = _newest_of_line(image, tag, index, rule)
        if newest != tag:
            line = ".".join(map(str, _line(current, family)))
            head.append(Candidate(image, newest, UPDATE, f"newest tag of the {line} line"))
        target = parse_tag(newest, rule.versioning) or current
        found = _next_line(current, index, rule, family, is_eol)
        if found is not None:
            line = ".".join(map(str, found[1]))
            head.append(
                Candidate(image, found[0], LINE, f"newest tag of the next supported line, {line}")
            )
        if rule.versioning == "docker" and target.kind == "version":
            variants = [dataclasses.replace(c, image=image) for c in
                        _variants(target, tags, linux, is_eol)]  # fmt: skip
    others = [
        Candidate(name, sub_tag, SUBSTITUTE, "configured substitute (recommend.alternatives)")
        for name, sub_tag in substitute_tags(substitutes, target)
        if (name, sub_tag) != (image, tag)
    ]
    ordered = head + variants[:2] + others + variants[2:]
    unique: dict[tuple[str, str], Candidate] = {}
    for candidate in ordered:
        key = (candidate.image, candidate.tag)
        if key != (image, tag) and key not in unique:
            unique[key] = candidate
    return list(unique.values())[: max(0, max_candidates)]
