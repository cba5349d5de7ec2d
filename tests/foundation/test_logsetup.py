"""Logging set-up and secret masking, with canary secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logsetup import SECRETS, mask, register_secret, setup_logging

CANARY_TOKEN = "ghp_CANARYcanary0123456789abcdefABCDEF"
CANARY_PASSWORD = "hunter2-canary-pw"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    setup_logging(
        "debug", "text", secrets=[CANARY_TOKEN, CANARY_PASSWORD, None, "ab"], stream=buffer
    )
    yield buffer
    SECRETS.clear()
    setup_logging("warning")


def test_secrets_are_masked_in_messages_args_and_exceptions(stream: io.StringIO) -> None:
    log = logging.getLogger("bot.registry.client")
    log.info("token is %s", CANARY_TOKEN)
    log.debug("login %s", {"password": CANARY_PASSWORD})
    log.warning("header Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.payload.sig sent")
    try:
        raise ValueError(f"bad credentials {CANARY_PASSWORD}")
    except ValueError:
        log.exception("failed with %s", CANARY_TOKEN)
    text = stream.getvalue()
    assert CANARY_TOKEN not in text
    assert CANARY_PASSWORD not in text
    assert "eyJhbGciOiJFUzI1NiJ9" not in text
    assert text.count("****") >= 5
    assert "ValueError: bad credentials ****" in text


def test_short_values_are_not_treated_as_secrets(stream: io.StringIO) -> None:
    logging.getLogger("bot.x").info("about %s", "ab")
    assert "about ab" in stream.getvalue()


def test_json_format_one_object_per_line() -> None:
    buffer = io.StringIO()
    register_secret(CANARY_TOKEN)
    try:
        setup_logging("info", "json", stream=buffer)
        logging.getLogger("bot.cli").info("hello %s", CANARY_TOKEN)
        logging.getLogger("bot.cli").debug("hidden")
    finally:
        SECRETS.clear()
        setup_logging("warning")
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "hello ****"
    assert record["level"] == "info"
    assert record["logger"] == "bot.cli"


def test_mask_function() -> None:
    register_secret(CANARY_PASSWORD)
    try:
        assert mask(f"x{CANARY_PASSWORD}y") == "x****y"
        assert mask("authorization: basic dXNlcjpwYXNz") == "authorization: basic ****"
    finally:
        SECRETS.clear()


def test_json_lines_carry_fields_masked_and_text_lines_do_not() -> None:
    from bot.logsetup import log_fields

    buffer = io.StringIO()
    setup_logging("info", "json", secrets=[CANARY_TOKEN], stream=buffer)
    log = logging.getLogger("bot.service.jobs")
    log.info("acme/app: done", extra=log_fields(repo="acme/app", duration_ms=12, updates=3,
                                                 delivery=f"d-{CANARY_TOKEN}", image=None))  # fmt: skip
    record = json.loads(buffer.getvalue())
    assert record["message"] == "acme/app: done"
    assert (record["repo"], record["duration_ms"], record["updates"]) == ("acme/app", 12, 3)
    assert record["delivery"] == "d-****"
    assert "image" not in record
    text = io.StringIO()
    setup_logging("info", "text", stream=text)
    log.info("plain", extra=log_fields(repo="acme/app"))
    assert text.getvalue() == "INFO bot.service.jobs: plain\n"
    with pytest.raises(ValueError, match="unknown log field"):
        log_fields(colour="blue")
    SECRETS.clear()
    setup_logging("warning")
