"""A fixed "now" for runs started through the CLI, so date-dependent output (end-of-life
findings, warning windows) is the same whatever day the tests run."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import pytest

#: The day the CLI tests' runs take place (after the bundled lifecycle snapshot's 2026-08-22).
RUN_DAY = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class _FrozenDatetime(datetime):
    """``datetime`` whose ``now()`` is :data:`RUN_DAY` (everything else is the real class)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenDatetime:  # type: ignore[override]
        moment = RUN_DAY if tz is None else RUN_DAY.astimezone(tz)
        return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)


def freeze_run_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Make every run assembled by the composition root (``bot.pipeline.wiring``) start at
    :data:`RUN_DAY`."""
    import bot.pipeline.wiring

    monkeypatch.setattr(bot.pipeline.wiring, "datetime", _FrozenDatetime)
    return RUN_DAY
