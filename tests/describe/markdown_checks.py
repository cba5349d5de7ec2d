"""What a PR body built from hostile metadata may and may not contain, checked on the parsed
Markdown (markdown-it-py, CommonMark with GFM tables: the structure GitHub sees).

Shared by the property test (``test_hostile_body``) and the CLI regression test
(``tests/reliability/test_markdown_injection``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.forge.branches import parse_marker

#: GitHub's closing keywords followed by an issue reference (docs: "Linking a pull request to an
#: issue using a keyword").
CLOSING = re.compile(
    r"(?i)\b(close[sd]?|fix(e[sd])?|resolve[sd]?)\b:?\s+"
    r"(#\d|[\w.-]+/[\w.-]+#\d|GH-\d|https?://\S+/(issues|pull)/\d)"
)
#: A user or team mention (GitHub: ``@`` not preceded by a word character).
MENTION = re.compile(r"(?<![A-Za-z0-9_`])@[A-Za-z0-9][A-Za-z0-9-]*")
#: A bare issue reference that GitHub would link (and cross-reference).
ISSUE = re.compile(r"(?<![\w&/])#\d")
#: Links the bot itself writes.
LINK_PREFIXES = ("https://github.com/", "https://osv.dev/vulnerability/",
                 "https://storage.googleapis.com/")  # fmt: skip
#: The only HTML the bot writes.
HTML_BLOCK = re.compile(
    r"^(<details><summary>.*</summary>|</details>|<details>|<summary>.*</summary>)"
)
HTML_INLINE = frozenset({"<sub>", "</sub>"})

_PARSER = MarkdownIt("commonmark").enable("table")


def parse(body: str) -> list[Token]:
    """The block tokens of ``body``."""
    return _PARSER.parse(body)


def skeleton(body: str) -> list[str]:
    """The block structure: token types with their tags, and the cell count of each table row."""
    shape = []
    for token in parse(body):
        if token.type == "inline":
            continue
        shape.append(f"{token.type}:{token.tag}:{token.level}")
    return shape


def _inline(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.children:
            yield from token.children


def problems(body: str, *, marker_expected: bool = True, headings: int = 0) -> list[str]:
    """Everything wrong with ``body`` (empty when it is safe); ``headings`` is how many headings
    the bot itself writes (none in a PR body)."""
    found = []
    tokens = parse(body)
    comments = body.count("<!--")
    if marker_expected:
        if comments != 1 or parse_marker(body) is None:
            found.append(f"{comments} HTML comments; marker parsed: {parse_marker(body)}")
        if not body.rstrip().splitlines()[-1].startswith("<!-- base-image-bot: "):
            found.append("the marker is not the last line")
    elif comments:
        found.append(f"{comments} HTML comments")
    written = [t.tag for t in tokens if t.type == "heading_open"]
    if len(written) != headings:
        found.append(f"headings {written}")
    for token in tokens:
        if token.type == "html_block":
            content = token.content.strip()
            if content.startswith("<!-- base-image-bot: "):
                continue
            if not HTML_BLOCK.match(content) or "<img" in content.lower():
                found.append(f"html block {content[:80]!r}")
            found += _text_problems(html.unescape(re.sub(r"<[^>]*>", "", content)))
    for token in _inline(tokens):
        if token.type == "image":
            found.append(f"image {token.attrs}")
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if not href.startswith(LINK_PREFIXES):
                found.append(f"link to {href!r}")
        elif token.type == "html_inline" and token.content not in HTML_INLINE:
            found.append(f"inline html {token.content!r}")
        elif token.type in ("text", "code_inline"):
            found += _text_problems(token.content)
    return found


def _text_problems(text: str) -> list[str]:
    found = []
    for pattern, what in ((CLOSING, "closing keyword"), (MENTION, "mention"),
                          (ISSUE, "issue reference")):  # fmt: skip
        match = pattern.search(text)
        if match:
            found.append(f"{what} {match.group(0)!r} in {text[:80]!r}")
    return found
