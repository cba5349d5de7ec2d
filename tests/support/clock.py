"""A fixed "now" for runs started through the CLI, so date-dependent output (end-of-life
findings, warning windows) is the same whatever day the tests run."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import pytest

#: The day the CLI tests' runs take place (after the bundled lifecycle snapshot's 2026-08-22).
RUN_DAY = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class _FrozenDatetime(datetime):
    """``datetime`` whose ``now()`` is ``moment`` (everything else is the real class)."""

    moment = RUN_DAY

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenDatetime:  # type: ignore[override]
        moment = cls.moment if tz is None else cls.moment.astimezone(tz)
        return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)


def freeze_run_clock(monkeypatch: pytest.MonkeyPatch, at: datetime = RUN_DAY) -> datetime:
    """Make every run assembled by the composition root (``bot.pipeline.wiring``) start at
    ``at`` (default :data:`RUN_DAY`)."""
    import bot.pipeline.wiring

    frozen = type("_Frozen", (_FrozenDatetime,), {"moment": at})
    monkeypatch.setattr(bot.pipeline.wiring, "datetime", frozen)
    return at
