"""Presets: ``extends:`` in a configuration file merges other files under it.

A preset is a YAML file path (relative to the directory of the file naming it) or
``github>OWNER/REPO[:PATH][#REF]`` read through the GitHub API (``PATH`` defaults to
:data:`DEFAULT_PRESET_PATH`, ``REF`` to the default branch). The extending file's keys win;
mappings merge key by key; ``rules`` and ``repos`` are the preset's entries followed by the
file's (later rules win, so the file's rules win); other lists are replaced. Presets may extend
presets, at most :data:`MAX_DEPTH` deep and :data:`MAX_PRESETS` in all, without cycles.

Positions survive the merge: every key a preset contributed is described by the preset's own
``NAME:LINE``, so a validation error names the preset, its line and the key. Pure apart from
the ``read`` callable that fetches a preset's bytes.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.configload import Key, Positions, YamlDocument, parse_yaml
from bot.errors import ConfigError

GITHUB_PREFIX = "github>"
DEFAULT_PRESET_PATH = "base-image-bot.yml"
MAX_DEPTH = 5
MAX_PRESETS = 20
#: Lists a preset extends instead of replacing (the preset's entries first).
APPENDED = frozenset({"rules", "repos"})
_GITHUB = re.compile(r"github>([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?::([^#\s]+))?(?:#(\S+))?")

__all__ = ["DEFAULT_PRESET_PATH", "PresetReader", "PresetRef", "parse_preset", "resolve_presets"]


@dataclass(frozen=True)
class PresetRef:
    """Where a preset lives: a GitHub repository (``repo``, ``path``, ``ref``) or, with ``repo``
    None, a local file path. ``path`` is already resolved against the naming file."""

    path: str
    repo: str | None = None
    ref: str | None = None

    @property
    def name(self) -> str:
        """How messages name it: ``github>acme/.github:base-image-bot.yml#v1`` or the path."""
        if self.repo is None:
            return self.path
        return f"{GITHUB_PREFIX}{self.repo}:{self.path}" + (f"#{self.ref}" if self.ref else "")

    @property
    def key(self) -> str:
        """Identity for cycle detection (GitHub names are case-insensitive)."""
        return self.name.lower() if self.repo is not None else posixpath.normpath(self.path)

    @property
    def directory(self) -> str:
        """The directory relative paths inside this preset are resolved against."""
        return posixpath.dirname(self.path)


#: ``read(preset, where)`` → the preset's bytes; raises ConfigError (``where`` names the
#: ``extends`` entry that asked for it).
PresetReader = Callable[[PresetRef, str], bytes]


def parse_preset(text: str, parent: PresetRef | None, where: str) -> PresetRef:
    """The preset ``text`` names, relative to ``parent`` (None: the top file, at ``.``)."""
    text = text.strip()
    if text.startswith(GITHUB_PREFIX):
        match = _GITHUB.fullmatch(text)
        if match is None:
            raise ConfigError(f"{where}: {text!r}: expected github>OWNER/REPO[:PATH][#REF]")
        owner, name, path, ref = match.groups()
        clean = posixpath.normpath((path or DEFAULT_PRESET_PATH).lstrip("/"))
        if clean.startswith(".."):
            raise ConfigError(f"{where}: {text!r}: the path leaves the repository")
        return PresetRef(clean, f"{owner}/{name}", ref)
    if not text or ">" in text:
        raise ConfigError(f"{where}: {text!r}: expected a file path or github>OWNER/REPO[:PATH]")
    if parent is None:
        return PresetRef(text)
    if parent.repo is not None:  # a path inside a repository: the same repository
        start = "" if text.startswith("/") else parent.directory  # "/…": from its root
        joined = posixpath.normpath(posixpath.join(start, text.lstrip("/")))
        if joined.startswith(".."):
            raise ConfigError(f"{where}: {text!r}: the path leaves {parent.repo}")
        return PresetRef(joined, parent.repo, parent.ref)
    return PresetRef(posixpath.normpath(posixpath.join(parent.directory, text)))


def resolve_presets(
    document: YamlDocument,
    read: PresetReader,
    *,
    parent: PresetRef | None = None,
    check: Callable[[PresetRef, str], None] | None = None,
) -> YamlDocument:
    """``document`` with every preset of its ``extends`` (recursively) merged under it.

    ``check(preset, where)`` may refuse a preset (a repository's configuration may only extend
    presets of its own owner). ``document`` itself is not changed.
    """
    state = _State(read, check)
    return state.resolve(document, parent, ())


class _State:
    def __init__(self, read: PresetReader, check: Callable[[PresetRef, str], None] | None) -> None:
        self.read = read
        self.check = check
        self.count = 0
        self.cache: dict[str, bytes] = {}

    def resolve(
        self, document: YamlDocument, here: PresetRef | None, chain: tuple[PresetRef, ...]
    ) -> YamlDocument:
        data = dict(document.data)
        entries = data.pop("extends", None)
        if entries is None:
            return document
        where = document.positions.describe(("extends",))
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"{where}: extends: expected a preset or a list of presets")
        own = YamlDocument(data, _without(document.positions, ("extends",)))
        for index, text in reversed(list(enumerate(entries))):  # later presets win
            at = document.positions.describe(("extends", index))
            preset = parse_preset(text, here, f"{at}: extends[{index}]")
            own = merge_documents(self._load(preset, chain, f"{at}: extends[{index}]"), own)
        return own

    def _load(self, preset: PresetRef, chain: tuple[PresetRef, ...], where: str) -> YamlDocument:
        names = " → ".join(p.name for p in (*chain, preset))
        if any(p.key == preset.key for p in chain):
            raise ConfigError(f"{where}: extends: presets form a cycle: {names}")
        if len(chain) >= MAX_DEPTH:
            raise ConfigError(
                f"{where}: extends: presets nested more than {MAX_DEPTH} deep: {names}"
            )
        self.count += 1
        if self.count > MAX_PRESETS:
            raise ConfigError(f"{where}: extends: more than {MAX_PRESETS} presets in all")
        if self.check is not None:
            self.check(preset, where)
        if preset.key not in self.cache:
            self.cache[preset.key] = self.read(preset, where)
        loaded = parse_yaml(self.cache[preset.key], origin=preset.name)
        return self.resolve(loaded, preset, (*chain, preset))


def merge_documents(base: YamlDocument, over: YamlDocument) -> YamlDocument:
    """``over`` merged over ``base`` (see the module docstring), positions included: ``over``
    keeps its own, and every key only ``base`` has is described by ``base``'s origin."""
    positions = Positions(origin=over.positions.origin)
    data = _merge(base.data, over.data, base.positions, over.positions, (), positions)
    return YamlDocument(data, positions)


def _merge(
    base: Any, over: Any, base_pos: Positions, over_pos: Positions, path: tuple[Key, ...],
    out: Positions,
) -> Any:  # fmt: skip
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        _copy(over_pos, path, path, out, only_self=True)
        merged: dict[str, Any] = {}
        for key in [*base, *(k for k in over if k not in base)]:
            if key in over and key in base:
                merged[key] = _merge(base[key], over[key], base_pos, over_pos, (*path, key), out)
            elif key in over:
                merged[key] = over[key]
                _copy(over_pos, (*path, key), (*path, key), out)
            else:
                merged[key] = base[key]
                _borrow(base_pos, (*path, key), out)
        return merged
    if len(path) == 1 and path[0] in APPENDED and isinstance(base, list) and isinstance(over, list):
        _copy(over_pos, path, path, out, only_self=True)
        for index in range(len(base)):
            _borrow(base_pos, (*path, index), out)
        for index in range(len(over)):
            _copy(over_pos, (*path, index), (*path, len(base) + index), out)
        return [*base, *over]
    _copy(over_pos, path, path, out)
    return over


def _subtree(positions: Positions, prefix: tuple[Key, ...]) -> list[tuple[Key, ...]]:
    keys = set(positions.lines) | set(positions.overridden)
    return [k for k in keys if k[: len(prefix)] == prefix]


def _copy(
    source: Positions,
    old: tuple[Key, ...],
    new: tuple[Key, ...],
    out: Positions,
    *,
    only_self: bool = False,
) -> None:
    """``source``'s positions of ``old`` (and below, unless ``only_self``) at ``new`` in
    ``out``, with their own origin when it is not ``out``'s."""
    paths = [old] if only_self else _subtree(source, old)
    same = source.origin == out.origin
    for key in paths:
        moved = (*new, *key[len(old) :])
        if key in source.overridden:
            out.overridden[moved] = source.overridden[key]
        if key in source.lines:
            if same:
                out.lines[moved] = source.lines[key]
            else:
                out.overridden.setdefault(moved, f"{source.origin}:{source.lines[key]}")


def _borrow(source: Positions, path: tuple[Key, ...], out: Positions) -> None:
    """Positions of a subtree only the base (a preset) has: described by the preset."""
    for key in _subtree(source, path):
        if key in source.overridden:
            out.overridden[key] = source.overridden[key]
        elif key in source.lines:
            out.overridden[key] = f"{source.origin}:{source.lines[key]}"


def _without(positions: Positions, prefix: tuple[Key, ...]) -> Positions:
    def keep(key: tuple[Key, ...]) -> bool:
        return key[: len(prefix)] != prefix

    return Positions(
        positions.origin,
        {k: v for k, v in positions.lines.items() if keep(k)},
        {k: v for k, v in positions.overridden.items() if keep(k)},
    )
