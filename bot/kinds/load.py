"""Reading a YAML or JSON file for extraction: decode, parse, or the problem as an extraction."""

from __future__ import annotations

import logging

from yaml.nodes import Node

from bot.dockerfile.model import ExtractError, Extraction
from bot.kinds.text import DecodeProblem, TextSource
from bot.kinds.yamlspan import YamlProblem, documents

logger = logging.getLogger(__name__)


def problem(path: str, line: int, code: str, message: str) -> Extraction:
    """An extraction holding one problem and no references."""
    return Extraction(path, (), (), (ExtractError(path, line, code, message),))


def decode(data: bytes, path: str) -> TextSource | Extraction:
    """The decoded text, or an extraction reporting that the file is not UTF-8."""
    try:
        return TextSource.decode(data)
    except DecodeProblem as exc:
        return problem(path, exc.line, "encoding", exc.message)


def load_yaml(data: bytes, path: str) -> tuple[TextSource, list[Node]] | Extraction:
    """The text and documents of a YAML file, or an extraction reporting why it cannot be read."""
    source = decode(data, path)
    if isinstance(source, Extraction):
        return source
    try:
        return source, documents(source)
    except YamlProblem as exc:
        return problem(path, exc.line, "yaml-syntax", exc.message)
