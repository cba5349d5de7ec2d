"""The one place untrusted text is made safe for Markdown (PR bodies, Markdown reports). Pure.

Everything that comes from an image, a registry, an advisory or a repository — labels, ``Env``
values, package names and versions, advisory ids, commit messages, file paths, tags — reaches
Markdown only through :func:`md_text` (prose and table cells), :func:`md_code` (inline code),
:func:`html_text` (inside the few HTML elements the bot writes) or :func:`md_link` (links whose
URL passes :func:`safe_url`). After any of them, a value:

* is one line: control, format (bidi, zero-width) and line/paragraph-separator characters become
  spaces, so it can start no heading, list, quote, table row or HTML block;
* cannot open HTML (so no comment, no second bot marker, no ``<img>``), a link or an image, cannot
  emphasise, and cannot end a table cell;
* mentions nobody and closes nothing: ``@name``, issue references (``#12``, ``GH-12``) and
  GitHub's closing keywords (``fixes``, ``closes``, ``resolves`` ...) get a zero-width space, which
  GitHub does not treat as part of a name, number or keyword (inside code too, where an entity
  would show literally, the character itself is used);
* is at most ``limit`` characters long (cut with ``…``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CLOSING_KEYWORDS",
    "html_text",
    "md_code",
    "md_link",
    "md_text",
    "one_line",
    "safe_url",
]

#: Default length bound of one untrusted value.
MAX_VALUE_CHARS = 200
#: GitHub's closing keywords (docs: "Linking a pull request to an issue").
CLOSING_KEYWORDS = ("close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves",
                    "resolved")  # fmt: skip

_ZWSP = "\u200b"
_ZWSP_ENTITY = "&#8203;"
_SEPARATORS = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: A mention, an issue reference or a closing keyword: the zero-width space goes after group 1.
_REFERENCE = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(@)(?=[A-Za-z0-9_])|(#|\bGH-)(?=\d)|\b([cfr])(?=(?:"
    + "|".join(k[1:] for k in CLOSING_KEYWORDS)
    + r")\b)"
)
_HTML_OPEN = re.compile(r"<(?=[!?/A-Za-z])")
#: Markdown punctuation escaped with a backslash wherever it appears.
_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~!#$&])")
#: At the start of a value: what could begin a list, quote or heading inside a list item.
_LEADING = re.compile(r"[-+=]|\d+[.)]")
_AUTOLINK = re.compile(r"(?i)://|\bwww\.")
_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~%!$&'*+,;=:@/-]*)?")
_URL_QUOTED = re.compile(r"[^A-Za-z0-9._~%!$&*+,;=:@/-]")


def one_line(value: object, limit: int | None = MAX_VALUE_CHARS) -> str:
    """``value`` as one trimmed line of printable text, at most ``limit`` characters."""
    text = "".join(
        " " if unicodedata.category(ch) in _SEPARATORS or ch.isspace() else ch for ch in str(value)
    )
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)].rstrip() + "…"
    return text


def _neutralise(text: str) -> str:
    """Break mentions, issue references and closing keywords with a zero-width space (``text``
    has none of its own: :func:`one_line` removed every format character)."""
    return _REFERENCE.sub(lambda m: m.group(0) + _ZWSP, text)


def md_text(value: object, *, limit: int | None = MAX_VALUE_CHARS) -> str:
    """Untrusted ``value`` as Markdown text, safe in prose and in a table cell ("—" if empty)."""
    text = one_line(value, limit)
    if not text:
        return "—"
    text = _neutralise(text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    # No autolinks: GitHub links bare URLs (and cross-references issues they name).
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)
    leading = _LEADING.match(text)
    if leading:
        end = leading.end()
        text = f"{text[: end - 1]}\\{text[end - 1 :]}"
    return text.replace(_ZWSP, _ZWSP_ENTITY)


def md_code(value: object, *, cell: bool = True, limit: int | None = MAX_VALUE_CHARS) -> str:
    """Untrusted ``value`` as an inline code span ("—" if empty).

    The fence is longer than any run of backticks inside; ``cell`` escapes ``|`` for a table cell
    (GitHub unescapes it inside code there; outside a table the backslash would show).
    """
    text = one_line(value, limit)
    if not text:
        return "—"
    text = _neutralise(_HTML_OPEN.sub("<" + _ZWSP, text))
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or (text[0] == " " and text[-1] == " "):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def html_text(value: object, *, limit: int | None = MAX_VALUE_CHARS) -> str:
    """Untrusted ``value`` as text inside an HTML element the bot writes (``<summary>``)."""
    import html  # only pull-request bodies have HTML elements (html loads its entity tables)

    text = one_line(value, limit)
    if not text:
        return "—"
    return html.escape(_neutralise(text), quote=True).replace(_ZWSP, _ZWSP_ENTITY)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain ``https`` URL that cannot break out of a Markdown link, else None."""
    if not url or len(url) > 2000:
        return None
    return url if _SAFE_URL.fullmatch(url) else None


def md_link(label: str, url: str | None) -> str:
    """``[label](url)`` when ``url`` is safe, else just ``label``; ``label`` must already be
    escaped Markdown (from :func:`md_text` or :func:`md_code`)."""
    checked = safe_url(url)
    return f"[{label}]({checked})" if checked else label


def url_part(text: str) -> str:
    """``text`` percent-encoded for use as one path segment of a URL the bot builds."""
    return _URL_QUOTED.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), text)
