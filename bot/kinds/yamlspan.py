"""YAML read for its positions, never re-serialised (pure).

PyYAML's composer (the libyaml one when available: same node marks, ten times faster) gives each
node its start and end character index. A scalar whose value is written exactly as it reads
(plain on one line, or quoted without escapes and line folding) can be edited in place: only the
bytes of that value change, so quotes, comments, anchors, flow style and key order stay as they
are. Anything else is reported as not editable (``scalar-style``) rather than rewritten.

Anchors and aliases compose to one shared node (an edit of the anchor is the edit of every alias);
``<<`` merge keys are followed when reading a mapping. Walks are iterative and visit each node
once, so neither deep nesting nor alias bombs cost more than the file's size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.kinds.text import TextSource

logger = logging.getLogger(__name__)

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
#: Mappings one ``items`` call follows through ``<<`` merges (real files use a handful; a crafted
#: chain of thousands would otherwise make every walk over it quadratic).
MAX_MERGED = 16
_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)+")


class YamlProblem(Exception):
    """The text is not YAML (``line`` is 1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def documents(source: TextSource) -> list[Node]:
    """The non-empty documents of ``source``; raises :class:`YamlProblem`."""
    try:
        nodes: list[Node | None] = list(yaml.compose_all(source.text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = exc.problem or exc.context or "not YAML"
        raise YamlProblem(line, f"YAML syntax: {reason}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise YamlProblem(1, f"YAML syntax: {exc}") from None
    return [node for node in nodes if node is not None]  # None: an empty document


def is_mapping(node: Node | None) -> bool:
    """Whether ``node`` is a mapping."""
    return isinstance(node, MappingNode)


def key_text(node: Node) -> str | None:
    """A mapping key as text (None for a non-scalar key)."""
    return node.value if isinstance(node, ScalarNode) else None


def items(node: Node | None) -> list[tuple[str, Node]]:
    """Key/value pairs of a mapping, ``<<`` merges followed (explicit keys win), in file order."""
    if not isinstance(node, MappingNode):
        return []
    pairs = node.value
    if not any(_is_merge(k) for k, _ in pairs):  # the common case
        return [(k.value, v) for k, v in pairs if isinstance(k, ScalarNode)]
    # Pre-order over the merge sources (iterative: a chain of merges can be as long as the
    # file): a mapping's own keys win over what it merges, earlier sources over later ones.
    out: dict[str, Node] = {}
    stack: list[Node] = [node]
    seen: set[int] = set()
    while stack and len(seen) <= MAX_MERGED:
        current = stack.pop()
        if not isinstance(current, MappingNode) or id(current) in seen:
            continue
        seen.add(id(current))
        sources: list[Node] = []
        for key, value in current.value:
            if _is_merge(key):
                sources += value.value if isinstance(value, SequenceNode) else [value]
                continue
            text = key_text(key)
            if text is not None:
                out.setdefault(text, value)
        stack.extend(reversed(sources))
    return list(out.items())


def _is_merge(key: Node) -> bool:
    return key.tag == _MERGE_TAG or (isinstance(key, ScalarNode) and key.value == "<<")


def get(node: Node | None, key: str) -> Node | None:
    """The value of ``key`` in a mapping (``<<`` merges followed), or None."""
    if isinstance(node, MappingNode):
        for k, value in node.value:
            if isinstance(k, ScalarNode) and k.value == key and k.tag != _MERGE_TAG:
                return cast(Node, value)
    return next((value for name, value in items(node) if name == key), None)


def sequence(node: Node | None) -> list[Node]:
    """The items of a sequence (empty for anything else)."""
    return list(node.value) if isinstance(node, SequenceNode) else []


def walk(root: Node) -> Iterator[tuple[str | None, Node]]:
    """Every node under ``root`` once, with the key it sits under (None in sequences); the
    targets of ``<<`` merges are visited where they are defined, not again."""
    stack: list[tuple[str | None, Node]] = [(None, root)]
    seen: set[int] = set()
    while stack:
        key, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield key, node
        if isinstance(node, MappingNode):  # merge sources are visited where they are defined
            stack.extend((key_text(k), v) for k, v in reversed(node.value) if not _is_merge(k))
        elif isinstance(node, SequenceNode):
            stack.extend((None, child) for child in reversed(node.value))


@dataclass(frozen=True)
class Scalar:
    """A scalar's value and, when written verbatim, the character index where it starts."""

    value: str
    start: int | None
    line: int
    plain: bool
    is_string: bool

    @property
    def editable(self) -> bool:
        """Whether the value's characters sit verbatim in the file."""
        return self.start is not None


def scalar(source: TextSource, node: Node | None) -> Scalar | None:
    """``node`` as a :class:`Scalar` (None for a collection or a missing node)."""
    if not isinstance(node, ScalarNode):
        return None
    s, e = node.start_mark.index, node.end_mark.index
    raw = source.text[s:e]
    properties = _PROPERTIES.match(raw)  # an anchor or tag before the value: &name !!str
    if properties is not None:
        s += properties.end()
        raw = raw[properties.end() :]
    style = node.style
    start: int | None = None
    if style in ("'", '"') and len(raw) >= 2 and raw[1:-1] == node.value:
        start = s + 1
    elif not style and raw == node.value and "\n" not in raw:
        start = s
    is_string = node.tag == _STR_TAG
    return Scalar(node.value, start, node.start_mark.line + 1, not style, is_string)


def reads_as_string(text: str) -> bool:
    """Whether ``text`` written as a plain scalar is a string (not a number, boolean or null)."""
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)
