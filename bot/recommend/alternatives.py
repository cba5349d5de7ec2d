"""The substitutes of ``recommend.alternatives``: the bundled data file and the configuration.

Entries are ``(globs, images)``; the first entry whose glob matches the normalised image name
gives its substitutes. Configured entries come before the bundled ones of
``bot/recommend/data/alternatives.yaml`` (documented there), which ``bundled_alternatives:
false`` leaves out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from functools import cache

from bot.errors import ConfigError

__all__ = ["Alternative", "bundled_alternatives", "parse_alternatives", "substitutes_for"]

Alternative = tuple[tuple[str, ...], tuple[str, ...]]


def parse_alternatives(document: object, where: str) -> tuple[Alternative, ...]:
    """``[{match: [...], use: [...]}]`` as entries; ConfigError naming the bad entry."""
    if not isinstance(document, list):
        raise ConfigError(f"{where}: expected a list of {{match, use}} entries")
    entries = []
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}[{index}]: expected a mapping with match and use")
        match, use = item.get("match"), item.get("use")
        match = [match] if isinstance(match, str) else match
        if not isinstance(match, list) or not all(isinstance(m, str) and m for m in match):
            raise ConfigError(f"{where}[{index}].match: expected a glob or a list of globs")
        if not isinstance(use, list) or not all(isinstance(u, str) and u for u in use):
            raise ConfigError(f"{where}[{index}].use: expected a list of image references")
        entries.append((tuple(match), tuple(use)))
    return tuple(entries)


@cache
def bundled_alternatives() -> tuple[Alternative, ...]:
    """The entries of the bundled data file."""
    from importlib import resources  # only --recommend reads it: start-up imports neither

    import yaml

    text = resources.files("bot.recommend").joinpath("data/alternatives.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    return parse_alternatives(document.get("alternatives"), "alternatives.yaml: alternatives")


def substitutes_for(image: str, entries: Sequence[Alternative]) -> tuple[str, ...]:
    """The substitutes of the first entry matching ``image`` (none: ``()``)."""
    for globs, use in entries:
        if any(fnmatch.fnmatchcase(image, glob) for glob in globs):
            return use
    return ()
