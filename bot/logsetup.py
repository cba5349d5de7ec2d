"""Logging set-up for the ``bot`` package, with secret masking.

Only this module configures handlers, and only on the ``bot`` package logger (third-party loggers
keep their own levels). Every record passes through :class:`SecretMaskingFilter`, which replaces
each registered secret, and anything that looks like an ``Authorization`` header value, with
``****`` in the message, its arguments, its fields and any exception text.

Log calls attach structured fields with ``extra=log_fields(repo=..., duration_ms=...)``; the JSON
format writes them as top-level keys next to the message (for log collectors to filter on), the
text format shows the message only. Messages never carry object reprs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import TextIO

MASK = "****"
_MIN_SECRET_LEN = 4
_AUTH_HEADER = re.compile(
    r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer|token)\s+)([^\s'\",}]+)"
)
_PACKAGE = "bot"


class SecretRegistry:
    """A thread-safe set of secret strings to mask in all output."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def add(self, secret: str | None) -> None:
        """Register one secret (short strings are ignored: they would mask ordinary words)."""
        if secret is None or len(secret) < _MIN_SECRET_LEN:
            return
        with self._lock:
            self._secrets = self._secrets | {secret}

    def clear(self) -> None:
        """Forget every registered secret."""
        with self._lock:
            self._secrets = frozenset()

    def mask(self, text: str) -> str:
        """Return ``text`` with every secret and Authorization credential replaced by ``****``."""
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)


SECRETS = SecretRegistry()


def register_secret(secret: str | None) -> None:
    """Register a secret with the process-wide masking registry."""
    SECRETS.add(secret)


def mask(text: str) -> str:
    """Mask every registered secret in ``text``."""
    return SECRETS.mask(text)


#: Fields a log line may carry (``log_fields``); anything else is a programming error.
FIELDS = frozenset({
    "repo", "image", "path", "delivery", "event", "trigger", "outcome", "action", "number",
    "duration_ms", "files", "references", "updates", "skipped", "errors", "pull_requests",
    "repositories", "written", "run", "replica", "role",
})  # fmt: skip


def log_fields(**values: object) -> dict[str, object]:
    """``extra=`` for a log call: structured fields (None values left out)."""
    unknown = set(values) - FIELDS
    if unknown:
        raise ValueError(f"unknown log field(s): {sorted(unknown)}")
    return {"fields": {k: v for k, v in values.items() if v is not None}}


class SecretMaskingFilter(logging.Filter):
    """Replace registered secrets in a record's message, arguments and exception text."""

    def __init__(self, secrets: SecretRegistry = SECRETS) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it."""
        record.msg = self._secrets.mask(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                k: self._secrets.mask(v) if isinstance(v, str) else v for k, v in fields.items()
            }
        if record.exc_info and record.exc_info[0] is not None:
            formatter = logging.Formatter()
            record.exc_text = self._secrets.mask(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._secrets.mask(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's fields (and the
    exception text)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        payload: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update({k: v for k, v in fields.items() if k not in payload})
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(
    level: str = "info",
    fmt: str = "text",
    *,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Logger:
    """Configure the ``bot`` package logger once; returns it.

    Calling it again replaces the previous handler, so tests and the service can reconfigure.
    """
    for secret in secrets:
        register_secret(secret)
    logger = logging.getLogger(_PACKAGE)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(SecretMaskingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
    return logger
