"""``end-of-life`` (pure): is a release line past (or near) its end of life, where to move, and
which tag moves a reference off it.

The line comes from :func:`bot.checks.lifecycle_map.place`; dates are compared with the run's
``today``, so the verdict is the same for the same data and day.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from datetime import date

from bot.checks.lifecycle import Cycle, Product
from bot.checks.lifecycle_map import Placement
from bot.checks.model import END_OF_LIFE, Severity, Verdict


def _order(cycle: Cycle) -> tuple[date, tuple[int, ...]]:
    return (cycle.release_date or date.max, _numbers(cycle.name))


@functools.lru_cache(maxsize=4096)
def _numbers(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def nearest_supported(product: Product, cycle: Cycle, today: date) -> Cycle | None:
    """The oldest cycle newer than ``cycle`` that is not past its end of life on ``today``."""
    mine = _order(cycle)
    found: Cycle | None = None
    found_order = mine
    for candidate in product.cycles:  # the first of equals, as a stable sort would give
        order = _order(candidate)
        if order > mine and (found is None or order < found_order) and not candidate.is_eol(today):
            found, found_order = candidate, order
    return found


def _what(placement: Placement) -> str:
    described = placement.product.describe(placement.cycle)
    if placement.via == "os":
        return f"the tag's {placement.token!r} is {described}, which"
    return described


def eol_verdict(
    placement: Placement,
    today: date,
    *,
    warn_days: int,
    warn_severity: Severity,
    data_note: str,
) -> Verdict | None:
    """A verdict when ``placement``'s cycle is past its end of life, or within ``warn_days``
    of it (with ``warn_severity``)."""
    cycle, product = placement.cycle, placement.product
    ended = cycle.is_eol(today)
    soon = not ended and cycle.eol is not None and (cycle.eol - today).days <= max(warn_days, 0)
    if not ended and not soon:
        return None
    nearest = nearest_supported(product, cycle, today)
    target = product.describe(nearest) if nearest is not None else None
    until = f" (supported until {nearest.eol})" if nearest and nearest.eol else ""
    label = product.eol_label
    ends = f" (end of {label})" if label.lower().endswith("support") else ""
    details = [
        ("product", product.name),
        ("cycle", cycle.name),
        ("eol", cycle.eol.isoformat() if cycle.eol else "yes"),
        ("via", placement.via),
        ("data", data_note),
    ]
    if nearest is not None:
        details.append(("nearest", nearest.name))
    if ended:
        when = f" on {cycle.eol}" if cycle.eol else ""
        move = (
            f"move to the nearest supported line, {target}{until}, or newer"
            if target
            else "no newer supported line is known; move to another base image"
        )
        message = f"{_what(placement)} reached end of life{when}{ends}; {move}"
        return Verdict(
            END_OF_LIFE,
            message,
            fix=nearest.name if nearest else None,
            details=tuple(details),
        )
    assert cycle.eol is not None
    days = (cycle.eol - today).days
    move = f"plan the move to {target}{until}" if target else "plan a move to another base image"
    message = (
        f"{_what(placement)} reaches end of life on {cycle.eol}, in {days} day"
        f"{'' if days == 1 else 's'}{ends}; {move}"
    )
    return Verdict(
        END_OF_LIFE,
        message,
        fix=nearest.name if nearest else None,
        details=tuple(details),
        severity=warn_severity,
    )


def os_successor(
    tag: str,
    placement: Placement,
    tags: Collection[str],
    today: date,
    newest: Callable[[str], str | None] | None = None,
) -> str | None:
    """A tag like ``tag`` with the end-of-life OS token replaced by the nearest supported
    release of that OS that the registry has (``3.12.14-slim-bullseye`` →
    ``3.12.14-slim-trixie``), or ``None``. When that exact tag does not exist, ``newest``
    (the update policy's choice for a tag) may name the newest tag of the new variant."""
    if placement.via != "os" or not placement.cycle.is_eol(today):
        return None
    product, token = placement.product, placement.token
    tokens = tag.split("-")
    index = next((i for i, t in enumerate(tokens) if t.lower() == token), None)
    if index is None:
        return None
    newer = sorted(
        (c for c in product.cycles if _order(c) > _order(placement.cycle) and not c.is_eol(today)),
        key=_order,
    )
    for cycle in newer:
        for word in _spellings(token, placement.cycle, cycle):
            candidate = "-".join([*tokens[:index], word, *tokens[index + 1 :]])
            if candidate in tags:
                return candidate
            chosen = newest(candidate) if newest is not None else None
            if chosen is not None and chosen in tags:
                return chosen
    return None


def _spellings(token: str, old: Cycle, new: Cycle) -> list[str]:
    """How ``new`` is written in a tag where ``old`` was written ``token``."""
    words = []
    if old.codeword and token == old.codeword and new.codeword:
        words.append(new.codeword)
    if token.endswith(old.name):
        words.append(token[: -len(old.name)] + new.name)
    return words


def moves_off(old: Sequence[Placement], new: Sequence[Placement], today: date) -> list[str]:
    """PR-body notes for an update that leaves end-of-life lines: ``moves off Debian 11
    (Bullseye), Debian Security Support ended 2024-08-14``."""
    kept = {(p.product.name, p.cycle.name) for p in new}
    notes = []
    for placement in old:
        cycle = placement.cycle
        if not cycle.is_eol(today) or (placement.product.name, cycle.name) in kept:
            continue
        when = f" {cycle.eol}" if cycle.eol else ""
        label = placement.product.eol_label
        ended = f"{label} ended" if label.lower().endswith("support") else "end of life"
        notes.append(f"moves off {placement.product.describe(cycle)}, {ended}{when}")
    return notes
