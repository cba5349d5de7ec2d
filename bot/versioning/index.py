"""A repository's tag list parsed once, grouped for fast candidate selection.

Build a :class:`TagIndex` once per (repository tag list, versioning scheme) and pass it to
:func:`bot.versioning.policy.choose_update` for every reference to that repository: each
selection then touches only the tags of the current tag's variant (same prefix, suffix, kind,
precision, build style) or OS template. Registries return tags unsorted and sometimes repeated;
the index de-duplicates and sorts them, so results do not depend on the input order.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.versioning.families import OsVariant, find_os_variant
from bot.versioning.schemes import get_scheme, parse_tag
from bot.versioning.tags import ParsedTag, candidate_pattern

logger = logging.getLogger(__name__)

Variant = tuple[str, str, str, int, str]
SortKey = tuple[tuple[int, ...], int, tuple[int, ...], tuple[int, ...]]


def _prefilter(current: ParsedTag, scheme: str) -> Callable[[str], object]:
    """A cheap test that every tag of ``current``'s variant passes (others mostly fail)."""
    if scheme == "docker":
        return candidate_pattern(current).fullmatch
    if scheme == "pep440":
        head, tail = current.prefix, f"-{current.suffix}" if current.suffix else ""
        return lambda tag: tag.startswith(head) and tag.endswith(tail)
    return lambda tag: True


def _order(tag: ParsedTag) -> tuple[SortKey, str]:
    return (tag.sort_key, tag.tag)


@dataclass(frozen=True, slots=True)
class TagIndex:
    """Tags of one repository under one ``versioning`` scheme (build with :meth:`build`).

    ``tags`` is the de-duplicated tag set; ``groups`` maps a variant to its parsed tags in
    ascending version order (ties broken by the tag string); ``os_groups`` maps an OS template
    (``3.12.1-slim-{os}``) to ``(variant, tag)`` pairs in ascending OS order.
    """

    versioning: str
    tags: frozenset[str]
    groups: Mapping[Variant, tuple[ParsedTag, ...]]
    keys: Mapping[Variant, tuple[tuple[SortKey, str], ...]]
    os_groups: Mapping[str, tuple[tuple[OsVariant, str], ...]]

    @classmethod
    def build(cls, tags: Iterable[str], versioning: str = "docker") -> TagIndex:
        """Parse and group ``tags``; raises :class:`PolicyError` for a bad ``versioning``."""
        get_scheme(versioning)
        unique = frozenset(tags)
        grouped: dict[Variant, list[ParsedTag]] = {}
        by_os: dict[str, list[tuple[OsVariant, str]]] = {}
        for tag in unique:
            parsed = parse_tag(tag, versioning)
            if parsed is not None:
                grouped.setdefault(parsed.variant, []).append(parsed)
            os_variant = find_os_variant(tag)
            if os_variant is not None:
                by_os.setdefault(os_variant.template, []).append((os_variant, tag))
        return cls._assemble(versioning, unique, grouped, by_os)

    @classmethod
    def for_tag(
        cls, tags: Iterable[str], versioning: str, current_tag: str, *, with_os: bool = True
    ) -> TagIndex:
        """A partial index with only the groups :func:`choose_update` needs for ``current_tag``
        (its OS template too when ``with_os``).

        Cheaper than :meth:`build` when a tag list serves one selection: tags whose text cannot
        share the current prefix/suffix/precision or OS template are skipped without parsing.
        """
        scheme = get_scheme(versioning)
        unique = frozenset(tags)
        current = parse_tag(current_tag, versioning)
        grouped: dict[Variant, list[ParsedTag]] = {}
        if current is not None:
            variant = current.variant
            parsed = (
                parse_tag(t, versioning) for t in filter(_prefilter(current, scheme.name), unique)
            )
            same = [p for p in parsed if p is not None and p.variant == variant]
            if same:
                grouped[variant] = same
        current_os = find_os_variant(current_tag) if with_os else None
        by_os: dict[str, list[tuple[OsVariant, str]]] = {}
        if current_os is not None:
            template, hyphens = current_os.template, current_tag.count("-")
            head, _, tail = template.partition("{os}")
            near = [t for t in unique if t.startswith(head) and t.endswith(tail)]
            found = (find_os_variant(t) for t in near if t.count("-") == hyphens)
            pairs = [(v, v.template.replace("{os}", v.token)) for v in found if v is not None]
            same_os = [(v, tag) for v, tag in pairs if v.template == template]
            if same_os:
                by_os[template] = same_os
        return cls._assemble(versioning, unique, grouped, by_os)

    @classmethod
    def _assemble(
        cls,
        versioning: str,
        unique: frozenset[str],
        grouped: dict[Variant, list[ParsedTag]],
        by_os: dict[str, list[tuple[OsVariant, str]]],
    ) -> TagIndex:
        groups = {k: tuple(sorted(v, key=_order)) for k, v in grouped.items()}
        keys = {k: tuple(_order(t) for t in v) for k, v in groups.items()}
        os_groups = {
            k: tuple(sorted(v, key=lambda p: (p[0].family, p[0].version, p[1])))
            for k, v in by_os.items()
        }
        return cls(versioning, unique, groups, keys, os_groups)

    def __contains__(self, tag: object) -> bool:
        return tag in self.tags

    def __len__(self) -> int:
        return len(self.tags)

    def newer(self, current: ParsedTag) -> Sequence[ParsedTag]:
        """Tags of ``current``'s variant that sort strictly after it, newest first."""
        group = self.groups.get(current.variant, ())
        keys = self.keys.get(current.variant, ())
        start = bisect.bisect_right(keys, (current.sort_key, "\U0010ffff"))
        return group[start:][::-1]

    def same_os_template(self, template: str) -> Sequence[tuple[OsVariant, str]]:
        """Tags sharing an OS template (``{os}`` placeholder), ascending by OS version."""
        return self.os_groups.get(template, ())
