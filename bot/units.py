"""Sizes as reports write them (decimal units, as registries and ``docker images`` do). Pure."""

from __future__ import annotations

__all__ = ["human_size"]


def human_size(num: float) -> str:
    """``942 B``, ``1.6 kB``, ``41.2 MB``, ``1.1 GB``."""
    value = float(num)
    for unit in ("B", "kB", "MB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
