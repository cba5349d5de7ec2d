"""Extract every image reference of a Dockerfile with the exact bytes a rewrite may touch (pure).

Kinds: ``from`` (literal ``FROM``), ``arg`` (a ``FROM`` whose text went through ARG substitution),
``copy-from`` (``COPY --from=<image>``), ``mount-from`` (``RUN --mount=...,from=<image>``) and
``syntax`` (the ``# syntax=`` directive). ARG scope follows Docker: ARGs before the first FROM
are global and feed FROM lines (and ``--platform``). ``COPY --from`` and ``RUN --mount from=``
are read literally, as BuildKit does ("variable expansion is not supported for --from"): a word
with ``$`` there names no image (``variable-stage``). ``ONBUILD`` instructions run in downstream
builds and are reported as ``onbuild``. Skip reasons are listed in
:data:`bot.dockerfile.model.SKIP_REASONS`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterator

from bot.dockerfile.expand import Expansion, Mapped, Segment, byte_len, expand, unknown
from bot.dockerfile.imageref import ImageRef, parse
from bot.dockerfile.instructions import Lexed, Logical, lex, shell_words
from bot.dockerfile.model import ExtractError, Extraction, Reference, Skipped, TagSlot
from bot.dockerfile.spans import Site, locate
from bot.errors import ImageReferenceError

logger = logging.getLogger(__name__)

_KEYWORD_RE = re.compile(r"[ \t\v\f\r\n]*(\S+)")
_STAGE_RE = re.compile(r"\s*from\s.*\sas\s+(\S+)\s*\Z", re.IGNORECASE | re.DOTALL)

PREDEFINED_ARGS = (
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
)  # fmt: skip


_PREDEFINED = {name: unknown(name) for name in PREDEFINED_ARGS}
#: Longest reference text parsed (Docker allows 255 for the name, 128 for the tag, and a digest).
MAX_REFERENCE_CHARS = 1024
#: Distinct reference texts whose parse (and text) one file shares between its references:
#: reference-dense files repeat a few images; beyond this, texts are kept per reference.
MAX_PARSED = 4096


class _Extractor:
    def __init__(self, data: bytes, path: str) -> None:
        self.path = path
        self.lexed: Lexed = lex(data)
        self.escape = self.lexed.escape
        self.meta: dict[str, Mapped | None] = dict(_PREDEFINED)
        self.in_stage = False
        self.earlier_stages: set[str] = set()
        self.all_stages: dict[str, str] = {}  # lower-cased name -> the same string, shared
        self.references: list[Reference] = []
        self.skipped: list[Skipped] = []
        self.errors: list[ExtractError] = []
        self.strings: dict[str, str] = {}
        self.parsed: dict[str, ImageRef] = {}
        self.slots: dict[TagSlot, TagSlot] = {}

    def run(self) -> Extraction:
        for ins in self.lexed.instructions():
            match = _STAGE_RE.match(ins.text)
            if match is not None:
                _shared(self.all_stages, match.group(1).lower())
        self.errors = [
            ExtractError(self.path, p.line, p.code, p.message) for p in self.lexed.problems
        ]
        self._syntax()
        for ins in self.lexed.instructions():
            self._dispatch(ins, 0)
        return Extraction(
            self.path, tuple(self.references), tuple(self.skipped), tuple(self.errors)
        )

    def _dispatch(self, ins: Logical, pos: int) -> None:
        match = _KEYWORD_RE.match(ins.text, pos)
        if match is None:
            return
        keyword = match.group(1).lower()
        words = shell_words(ins.text, match.end(), self.escape)
        if keyword == "arg":
            self._arg(ins, list(words))
        elif keyword == "from":
            self._from(ins, *self._flags(ins, words, want_rest=True))
        elif keyword == "copy":
            self._copy(ins, self._flags(ins, words, want_rest=False)[0])
        elif keyword == "run":
            self._run(ins, self._flags(ins, words, want_rest=False)[0])
        elif keyword == "onbuild":
            self._onbuild(ins, match.end())

    def _arg(self, ins: Logical, words: list[tuple[int, int]]) -> None:
        """Global ARGs (before the first FROM) feed FROM lines; ARGs inside a stage feed no image
        word (``COPY --from`` / ``from=`` are not expanded), so they are not tracked."""
        if self.in_stage:
            return
        for s, e in words:
            raw = ins.text[s:e]
            name, eq, _ = raw.partition("=")
            value: Mapped | None = None
            if eq:
                exp = expand(ins.text, s + len(name) + 1, e, self.meta, self.escape, ins)
                value = exp.value.compact()  # kept for the rest of the file
                if exp.problem is not None:
                    self._error(ins.line, "expansion-limit", f"ARG {name}: {exp.problem}")
                    value = unknown(name)
            self.meta[name] = value

    @staticmethod
    def _flags(
        ins: Logical, words: Iterator[tuple[int, int]], want_rest: bool
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Split leading ``--flag`` words from the arguments (read lazily when not wanted)."""
        flags: list[tuple[int, int]] = []
        rest: list[tuple[int, int]] = []
        for word in words:
            if not rest and ins.text.startswith("--", word[0]):
                flags.append(word)
                continue
            if not want_rest:
                break
            rest.append(word)
        return flags, rest

    def _from(
        self, ins: Logical, flags: list[tuple[int, int]], args: list[tuple[int, int]]
    ) -> None:
        self.in_stage = True
        if len(args) not in (1, 3) or (
            len(args) == 3 and ins.text[args[1][0] : args[1][1]].lower() != "as"
        ):
            self._error(ins.line, "bad-from", "FROM takes an image and an optional 'AS name'")
            if not args:
                return
        platform = None
        for s, e in flags:
            if ins.text[s:e].lower().startswith("--platform="):
                exp = expand(ins.text, s + len("--platform="), e, self.meta, self.escape, ins)
                platform = None if exp.unresolved else (exp.value.text or None)
        valid_as = len(args) == 3 and ins.text[args[1][0] : args[1][1]].lower() == "as"
        stage = name = None
        if valid_as:
            stage = ins.text[args[2][0] : args[2][1]]
            name = stage.lower()
            name = self.all_stages.get(name, name)
            stage = name if name == stage else stage  # one string when already lower case
        s, e = args[0]
        exp = expand(ins.text, s, e, self.meta, self.escape, ins)
        kind = "arg" if exp.value.uses_args or exp.unresolved else "from"
        self._classify(kind, ins, s, e, exp, self.earlier_stages, platform, stage)
        if name is not None:
            self.earlier_stages.add(name)

    def _copy(self, ins: Logical, flags: list[tuple[int, int]]) -> None:
        for s, e in flags:
            if ins.text[s:e].lower().startswith("--from="):
                self._copy_source("copy-from", ins, s + len("--from="), e)

    def _run(self, ins: Logical, flags: list[tuple[int, int]]) -> None:
        for s, e in flags:
            if not ins.text[s:e].lower().startswith("--mount="):
                continue
            for fs, fe in _csv_fields(ins.text, s + len("--mount="), e):
                if ins.text[fs:fe].lower().startswith("from="):
                    self._copy_source("mount-from", ins, fs + len("from="), fe)

    def _copy_source(self, kind: str, ins: Logical, start: int, end: int) -> None:
        """``COPY --from=`` / ``--mount from=``: a stage name, a stage index or an image.

        BuildKit reads these words literally ("variable expansion is not supported for --from"):
        a ``$`` there names no image, so it is skipped rather than expanded.
        """
        raw = ins.text[start:end]
        if "$" in raw:
            line = self.lexed.line_of(ins.byte_at(start))
            message = f"{raw!r}: BuildKit does not expand variables in --from (not an image)"
            self._skip(kind, line, raw, "variable-stage", message)
            return
        exp = expand(ins.text, start, end, {}, self.escape, ins)
        self._classify(kind, ins, start, end, exp, self.all_stages, None, None)

    def _onbuild(self, ins: Logical, pos: int) -> None:
        """``ONBUILD COPY/RUN``: runs in builds made FROM this image, not in this build; its
        image words are reported as ``onbuild`` skips, never updated."""
        match = _KEYWORD_RE.match(ins.text, pos)
        if match is None or match.group(1).lower() not in ("copy", "run", "from"):
            return
        keyword = match.group(1).lower()
        flags, rest = self._flags(ins, shell_words(ins.text, match.end(), self.escape), True)
        saved = self.references, self.skipped
        self.references, self.skipped = [], []
        if keyword == "copy":
            self._copy(ins, flags)
        elif keyword == "run":
            self._run(ins, flags)
        found, skipped = self.references, self.skipped
        self.references, self.skipped = saved
        if keyword == "from" and rest:
            raw = ins.text[rest[0][0] : rest[0][1]]
            self._skip("from", ins.line, raw, "onbuild", f"{raw!r}: ONBUILD FROM is not allowed")
        for ref in found:
            message = f"{ref.raw!r} is in an ONBUILD instruction (runs in downstream builds)"
            self._skip(ref.kind, ref.line, ref.raw, "onbuild", message, ref.ref)
        for skip in skipped:
            message = f"{skip.text!r} is in an ONBUILD instruction ({skip.message})"
            self._skip(skip.kind, skip.line, skip.text, "onbuild", message, skip.ref)

    def _syntax(self) -> None:
        for directive in self.lexed.directives:
            if directive.key != "syntax":
                continue
            word = directive.value.split(" ", 1)[0]
            value = Mapped(word, (Segment(0, len(word), directive.value_start, None),))
            line = directive.line
            piece = ((0, directive.value_start, word),)
            fake = Logical(word, line, line, piece, (0,), (word.isascii(),))
            self._classify("syntax", fake, 0, len(word), Expansion(value, ()), set(), None, None)

    def _parse(self, text: str) -> ImageRef:
        """Parse once per distinct text, sharing one string object per distinct registry,
        repository and tag (a file with thousands of references to a few images holds each
        name, and each parsed reference, once)."""
        found = self.parsed.get(text)
        if found is not None:
            return found
        ref = parse(text)
        cache = self.strings
        found = ImageRef(
            _shared(cache, ref.registry),
            _shared(cache, ref.repository),
            None if ref.tag is None else _shared(cache, ref.tag),
            ref.digest,
            ref.original,
        )
        if len(self.parsed) < MAX_PARSED:
            self.parsed[text] = found
        return found

    def _error(self, line: int, code: str, message: str) -> None:
        self.errors.append(ExtractError(self.path, line, code, message))

    def _skip(
        self,
        kind: str,
        line: int,
        text: str,
        reason: str,
        message: str,
        ref: ImageRef | None = None,
        reference: Reference | None = None,
    ) -> None:
        self.skipped.append(Skipped(kind, self.path, line, text, reason, message, ref, reference))

    def _classify(
        self,
        kind: str,
        ins: Logical,
        s: int,
        e: int,
        exp: Expansion,
        stages: Container[str],
        platform: str | None,
        stage: str | None,
    ) -> None:
        raw = ins.text[s:e]
        known = self.parsed.get(raw)
        raw = raw if known is None else known.original
        text = exp.value.text
        line = self.lexed.line_of(ins.byte_at(s))
        line = ins.line if line == ins.line else line  # one int object (files of 60,000 lines)
        if exp.problem is not None:
            self._error(line, "expansion-limit", f"{raw[:80]!r}: {exp.problem}")
        elif exp.unresolved:
            names = ", ".join(exp.unresolved)
            message = (
                f"{raw!r}: no value for {names} (set only at build time: no default in the file)"
            )
            self._skip(kind, line, raw, "unresolved-variable", message)
        elif len(text) > MAX_REFERENCE_CHARS:
            message = (
                f"{raw[:80]!r} expands to {len(text)} characters (at most {MAX_REFERENCE_CHARS})"
            )
            self._skip(kind, line, raw[:200], "invalid-reference", message)
        elif not text:
            self._skip(kind, line, raw, "invalid-reference", f"{raw!r} is empty")
        elif text.lower() == "scratch":
            self._skip(kind, line, raw, "scratch", "FROM scratch is the empty image")
        elif text.lower() in stages:
            self._skip(kind, line, raw, "stage-alias", f"{text!r} is a build stage of this file")
        elif kind in ("copy-from", "mount-from") and text.isdigit():
            self._skip(kind, line, raw, "stage-index", f"{text!r} is a build stage index")
        else:
            try:
                ref = self._parse(raw if raw == text else text)
            except ImageReferenceError as exc:
                self._skip(kind, line, raw, "invalid-reference", exc.message)
                return
            word_end = ins.byte_at(e - 1) + byte_len(ins.text[e - 1])
            site = Site(kind, self.path, ins.line, line, raw, word_end, platform, stage)
            found = locate(ref, exp.value, site, self.lexed.line_of, self.slots)
            if isinstance(found, Reference):
                self.references.append(found)
            else:
                self.skipped.append(found)


def _shared(cache: dict[str, str], text: str) -> str:
    return cache.setdefault(text, text)


def _csv_fields(text: str, start: int, end: int) -> list[tuple[int, int]]:
    fields, quote, begin = [], False, start
    for i in range(start, end):
        if text[i] == '"':
            quote = not quote
        elif text[i] == "," and not quote:
            fields.append((begin, i))
            begin = i + 1
    fields.append((begin, end))
    return fields


def extract(data: bytes, path: str = "Dockerfile") -> Extraction:
    """Extract image references from Dockerfile ``data``; never raises (problems are reported)."""
    try:
        return _Extractor(data, path).run()
    except Exception as exc:  # defensive: extraction must never take the run down
        logger.error("internal error extracting %s: %r", path, exc)
        logger.debug("internal error extracting %s", path, exc_info=True)
        error = ExtractError(path, 0, "internal-error", f"extractor failed: {exc!r}")
        return Extraction(path, (), (), (error,))
