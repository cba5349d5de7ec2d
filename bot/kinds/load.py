"""Reading a YAML or JSON file for extraction: decode, parse, or the problem as an extraction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from yaml.nodes import Node

from bot.dockerfile.model import ExtractError, Extraction, Reference, Skipped
from bot.kinds.refs import collect
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


#: What an extractor finds in one YAML document: ``(source, document, path) -> findings``.
DocumentExtractor = Callable[[TextSource, Node, str], Sequence[Reference | Skipped]]


def extract_documents(
    data: bytes, path: str, per_document: DocumentExtractor, *, first_only: bool = False
) -> Extraction:
    """Run ``per_document`` over the documents of a YAML file (the first only, for formats that
    have one) and collect what it finds; a file that cannot be read is its own extraction."""
    loaded = load_yaml(data, path)
    if isinstance(loaded, Extraction):
        return loaded
    source, docs = loaded
    chosen = docs[:1] if first_only else docs
    return collect(path, [found for doc in chosen for found in per_document(source, doc, path)])
