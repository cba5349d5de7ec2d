"""Safe YAML loading that remembers the line of every key, for error messages.

Guards against hostile files: a size limit, a limit on the number of nodes after alias expansion
(so "billion laughs" documents are rejected before anything walks them) and duplicate keys, which
YAML parsers otherwise resolve silently by keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError
from bot.limits import MAX_CONFIG_BYTES

if TYPE_CHECKING:  # PyYAML is imported by the functions that parse (not by a run without a file)
    import yaml

MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 32

Key = str | int


@dataclass
class Positions:
    """Where each key path came from: a file line, or an environment variable / flag."""

    origin: str
    lines: dict[tuple[Key, ...], int] = field(default_factory=dict)
    overridden: dict[tuple[Key, ...], str] = field(default_factory=dict)

    def set_origin(self, keys: tuple[Key, ...], description: str) -> None:
        """Record that ``keys`` (and everything under it) came from ``description``."""
        self.overridden[keys] = description

    def order(self, keys: tuple[Key, ...]) -> tuple[int, int]:
        """Sort key putting errors in document order, deeper keys first on the same line."""
        for end in range(len(keys), -1, -1):
            if keys[:end] in self.lines:
                return (self.lines[keys[:end]], -len(keys))
        return (0, -len(keys))

    def describe(self, keys: tuple[Key, ...]) -> str:
        """``FILE:LINE`` (or the override source) for the longest known prefix of ``keys``."""
        for end in range(len(keys), -1, -1):
            prefix = keys[:end]
            if prefix in self.overridden:
                return self.overridden[prefix]
            if prefix in self.lines:
                return f"{self.origin}:{self.lines[prefix]}"
        return self.origin


@dataclass
class YamlDocument:
    """A loaded mapping and the positions of its keys."""

    data: dict[str, Any]
    positions: Positions


def format_path(keys: tuple[Key, ...]) -> str:
    """``('repos', 2, 'update_types')`` → ``repos[2].update_types``."""
    out = ""
    for key in keys:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out


def load_yaml(path: Path) -> YamlDocument:
    """Read and parse a YAML config file; raise ConfigError naming the file and line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration file: {exc.strerror}") from exc
    return parse_yaml(raw, origin=str(path))


def parse_yaml(raw: bytes, *, origin: str) -> YamlDocument:
    """Parse YAML bytes into a mapping with key positions."""
    import yaml

    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{origin}: configuration file is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
        _check_depth(text, origin)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{origin}: not UTF-8 text (byte {exc.start})") from exc
    except RecursionError as exc:
        raise ConfigError(f"{origin}: the document is nested too deeply") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{origin}{line}: invalid YAML: {problem}") from exc
    positions = Positions(origin=origin)
    if node is None:
        return YamlDocument(data={}, positions=positions)
    try:
        _check_size(node, origin)
        _walk(node, (), positions, origin)
        data = yaml.SafeLoader(text).construct_document(node)
    except RecursionError as exc:
        raise ConfigError(f"{origin}: the document is nested too deeply") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}:1: the configuration must be a mapping of keys to values")
    return YamlDocument(data=data, positions=positions)


def parse_env_value(name: str, value: str) -> object:
    """Parse one ``BASE_IMAGE_BOT_*`` value as a YAML scalar or flow collection."""
    document = parse_yaml(f"value: {value}".encode(), origin=f"environment variable {name}")
    return document.data["value"]


def _check_depth(text: str, origin: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH, naming where, before anything recurses.

    Works on the parser's event stream, which needs no recursion, so even a document nested
    thousands of levels deep gives a clear error instead of exhausting the stack.
    """
    import yaml

    frames: list[list[Any]] = []  # [is_mapping, expecting_key, last key or index]

    def child_done() -> None:
        if frames:
            if frames[-1][0]:
                frames[-1][1] = True
            else:
                frames[-1][2] += 1

    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            frames.append([isinstance(event, yaml.MappingStartEvent), True, None])
            if not frames[-1][0]:
                frames[-1][2] = 0
            if len(frames) > MAX_DEPTH:
                keys = tuple(f[2] for f in frames[:-1] if f[2] is not None)
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise ConfigError(
                    f"{origin}:{line}: {format_path(keys[:4])}: "
                    f"nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frames.pop()
            child_done()
        elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            if frames and frames[-1][0] and frames[-1][1]:
                frames[-1][2] = getattr(event, "value", "*")
                frames[-1][1] = False
            else:
                child_done()


def _check_size(root: yaml.Node, origin: str) -> None:
    import yaml

    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once while it is being measured
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        sizes[id(node)] = total
        if total > MAX_EXPANDED_NODES:
            raise ConfigError(
                f"{origin}:{node.start_mark.line + 1}: document expands to more than "
                f"{MAX_EXPANDED_NODES} nodes (YAML aliases)"
            )
        return total

    size(root)


def _walk(node: yaml.Node, keys: tuple[Key, ...], positions: Positions, origin: str) -> None:
    import yaml

    if len(keys) > MAX_DEPTH:
        raise ConfigError(
            f"{origin}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep"
        )
    positions.lines.setdefault(keys, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
            if key in seen:
                raise ConfigError(
                    f"{origin}:{key_node.start_mark.line + 1}: "
                    f"{format_path((*keys, key))}: duplicate key"
                )
            seen.add(key)
            positions.lines[(*keys, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*keys, key), positions, origin)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*keys, index), positions, origin)
