"""Extract every image reference of a Dockerfile with the exact bytes a rewrite may touch (pure).

Kinds: ``from`` (literal ``FROM``), ``arg`` (a ``FROM`` whose text went through ARG substitution),
``copy-from`` (``COPY --from=<image>``), ``mount-from`` (``RUN --mount=...,from=<image>``) and
``syntax`` (the ``# syntax=`` directive). ARG scope follows Docker: ARGs before the first FROM
are global and feed FROM lines (and ``--platform``); ARGs inside a stage (a bare ``ARG NAME``
imports the global default) feed that stage's ``COPY --from``/``--mount from=``; a stage built
``FROM`` another stage inherits its ARGs. Skip reasons are listed in
:data:`bot.dockerfile.model.SKIP_REASONS`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from bot.dockerfile.expand import Env, Expansion, Mapped, expand, unknown
from bot.dockerfile.imageref import ImageRef, parse
from bot.dockerfile.instructions import Lexed, Logical, lex, shell_words
from bot.dockerfile.model import ExtractError, Extraction, Reference, Skipped
from bot.dockerfile.spans import Site, byte_len, locate
from bot.errors import ImageReferenceError

logger = logging.getLogger(__name__)

_KEYWORD_RE = re.compile(r"[ \t\v\f\r\n]*(\S+)")
_STAGE_RE = re.compile(r"\s*from\s.*\sas\s+(\S+)\s*\Z", re.IGNORECASE | re.DOTALL)

PREDEFINED_ARGS = (
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
)  # fmt: skip


_PREDEFINED = {name: unknown(name) for name in PREDEFINED_ARGS}


class _Extractor:
    def __init__(self, data: bytes, path: str) -> None:
        self.path = path
        self.lexed: Lexed = lex(data)
        self.escape = self.lexed.escape
        self.meta: dict[str, Mapped | None] = dict(_PREDEFINED)
        self.env: dict[str, Mapped | None] | None = None
        self.stage_envs: dict[str, dict[str, Mapped | None]] = {}
        self.earlier_stages: set[str] = set()
        self.all_stages: set[str] = set()
        self.references: list[Reference] = []
        self.skipped: list[Skipped] = []
        self.errors = [ExtractError(path, p.line, p.code, p.message) for p in self.lexed.problems]

    def run(self) -> Extraction:
        for ins in self.lexed.instructions:
            match = _STAGE_RE.match(ins.text)
            if match is not None:
                self.all_stages.add(match.group(1).lower())
        self._syntax()
        for ins in self.lexed.instructions:
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
            self._dispatch(ins, match.end())

    def _scope(self) -> Env:
        return self.meta if self.env is None else self.env

    def _arg(self, ins: Logical, words: list[tuple[int, int]]) -> None:
        for s, e in words:
            raw = ins.text[s:e]
            name, eq, _ = raw.partition("=")
            value: Mapped | None = None
            if eq:
                value = expand(
                    ins.text, s + len(name) + 1, e, self._scope(), self.escape, ins
                ).value
            if self.env is None:
                self.meta[name] = value
            else:
                self.env[name] = value if eq else self.meta.get(name)

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
        self.env = {}
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
        stage = ins.text[args[2][0] : args[2][1]] if valid_as else None
        s, e = args[0]
        exp = expand(ins.text, s, e, self.meta, self.escape, ins)
        kind = (
            "arg" if any(lab is not None for lab in exp.value.labels) or exp.unresolved else "from"
        )
        self._classify(kind, ins, s, e, exp, self.earlier_stages, platform, stage)
        base = exp.value.text.lower()
        if not exp.unresolved and base in self.stage_envs:
            self.env = dict(self.stage_envs[base])
        if stage is not None:
            self.earlier_stages.add(stage.lower())
            self.stage_envs[stage.lower()] = self.env

    def _copy(self, ins: Logical, flags: list[tuple[int, int]]) -> None:
        for s, e in flags:
            if ins.text[s:e].lower().startswith("--from="):
                start = s + len("--from=")
                exp = expand(ins.text, start, e, self._scope(), self.escape, ins)
                self._classify("copy-from", ins, start, e, exp, self.all_stages, None, None)

    def _run(self, ins: Logical, flags: list[tuple[int, int]]) -> None:
        for s, e in flags:
            if not ins.text[s:e].lower().startswith("--mount="):
                continue
            for fs, fe in _csv_fields(ins.text, s + len("--mount="), e):
                if ins.text[fs:fe].lower().startswith("from="):
                    start = fs + len("from=")
                    exp = expand(ins.text, start, fe, self._scope(), self.escape, ins)
                    self._classify("mount-from", ins, start, fe, exp, self.all_stages, None, None)

    def _syntax(self) -> None:
        for directive in self.lexed.directives:
            if directive.key != "syntax":
                continue
            word = directive.value.split(" ", 1)[0]
            origins, pos = [], directive.value_start
            for ch in word:
                origins.append(pos)
                pos += byte_len(ch)
            value = Mapped(word, tuple(origins), (None,) * len(word))
            line = directive.line
            piece = ((0, directive.value_start, word),)
            fake = Logical(word, line, line, piece, (0,), (word.isascii(),))
            self._classify("syntax", fake, 0, len(word), Expansion(value, ()), set(), None, None)

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
        stages: set[str],
        platform: str | None,
        stage: str | None,
    ) -> None:
        raw = ins.text[s:e]
        text = exp.value.text
        line = self.lexed.line_of(ins.byte_at(s))
        if exp.unresolved:
            names = ", ".join(exp.unresolved)
            self._skip(kind, line, raw, "unresolved-variable", f"{raw!r}: no value for {names}")
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
                ref = parse(text)
            except ImageReferenceError as exc:
                self._skip(kind, line, raw, "invalid-reference", exc.message)
                return
            word_end = ins.byte_at(e - 1) + byte_len(ins.text[e - 1])
            site = Site(kind, self.path, ins.line, line, raw, word_end, platform, stage)
            found = locate(ref, exp.value, site, self.lexed.line_of)
            if isinstance(found, Reference):
                self.references.append(found)
            else:
                self.skipped.append(found)


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
        logger.exception("internal error extracting %s", path)
        error = ExtractError(path, 0, "internal-error", f"extractor failed: {exc!r}")
        return Extraction(path, (), (), (error,))
