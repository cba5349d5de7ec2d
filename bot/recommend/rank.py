"""Ranking of candidates by the configured criteria, and the reason the top one wins. Pure.

Criteria (``recommend.ranking``, most important first): ``critical_high``, ``vulnerabilities``,
``new``, ``size``, ``packages``, ``signed``. Lower is better for each; an unknown value sorts
last. A candidate that is past its end of life, whose vulnerabilities are unknown, or that could
not be evaluated never ranks first. The top candidate *wins* only when it is strictly better
than the current image on the first criterion where they differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.recommend.model import UPDATE, Evaluation
from bot.units import human_size

__all__ = ["CRITERIA", "rank", "winner_reason"]

_SIGNATURE = {"verified": 0, "signed": 1, "unsigned": 2, "invalid": 3}
_UNKNOWN = float("inf")
_SIZE_NOISE = 0.01  # relative size difference that does not decide a ranking

#: criterion -> (value of an evaluation, how reports name it)
CRITERIA: dict[str, tuple[Callable[[Evaluation], float | int | None], str]] = {
    "critical_high": (lambda e: e.critical_high, "critical+high vulnerabilities"),
    "vulnerabilities": (lambda e: e.total, "known vulnerabilities"),
    "new": (lambda e: e.new, "vulnerabilities not in the current image"),
    "size": (lambda e: e.compressed_size, "compressed size"),
    "packages": (lambda e: e.package_count, "packages"),
    "signed": (lambda e: _SIGNATURE.get(e.signature or "", None), "signature"),
}


def _value(evaluation: Evaluation, criterion: str) -> float:
    value = CRITERIA[criterion][0](evaluation)
    return _UNKNOWN if value is None else float(value)


def _differs(criterion: str, a: float, b: float) -> bool:
    """Whether ``a`` and ``b`` differ enough to decide ``criterion``."""
    if criterion == "size" and _UNKNOWN not in (a, b):
        return abs(a - b) > _SIZE_NOISE * max(a, b)
    return a != b


def _decisive(a: Evaluation, b: Evaluation, ranking: Sequence[str]) -> str | None:
    """The first criterion on which ``a`` and ``b`` differ enough, if any."""
    return next((c for c in ranking if _differs(c, _value(a, c), _value(b, c))), None)


def _key(evaluation: Evaluation, ranking: Sequence[str]) -> tuple[object, ...]:
    return (
        not evaluation.usable,
        *(_value(evaluation, c) for c in ranking),
        evaluation.candidate.kind != UPDATE,
        evaluation.candidate.image,
        evaluation.candidate.tag,
    )


def rank(candidates: Sequence[Evaluation], ranking: Sequence[str]) -> list[Evaluation]:
    """``candidates`` best first."""
    return sorted(candidates, key=lambda e: _key(e, ranking))


def _show(criterion: str, value: float, other: float | None = None) -> str:
    if value == _UNKNOWN:
        return "unknown"
    if criterion == "size":
        shown = human_size(value)
        close = other is not None and other != _UNKNOWN and human_size(other) == shown
        return f"{int(value)} B" if close else shown
    if criterion == "signed":
        return next(k for k, v in _SIGNATURE.items() if v == value)
    return str(int(value))


def _name(evaluation: Evaluation) -> str:
    c = evaluation.candidate
    return f"{c.image.rsplit('/', 1)[-1]}:{c.tag}"


def winner_reason(
    ranked: Sequence[Evaluation], current: Evaluation, ranking: Sequence[str]
) -> tuple[Evaluation | None, str]:
    """The winner (the top candidate, when it beats the current image) and why, in words."""
    names = ", then ".join(CRITERIA[c][1] for c in ranking)
    top = ranked[0] if ranked else None
    if top is None:
        return None, "no candidate to compare with"
    if not top.usable:
        return None, (
            "no candidate can be recommended: each is past its end of life, or its "
            "vulnerabilities could not be determined"
        )
    decisive = _decisive(top, current, ranking)
    if decisive is None:
        update = next(
            (
                e
                for e in ranked
                if e.usable
                and e.candidate.kind == UPDATE
                and _decisive(e, current, ranking) is None
            ),
            None,
        )
        if update is not None:
            return update, (
                f"{_name(update)} is the newest release of this line and as good as "
                f"{_name(current)} on {names}"
            )
    if decisive is None or _value(top, decisive) > _value(current, decisive):
        return None, (
            f"keep {_name(current)}: no candidate beats it on {names} "
            f"(the best, {_name(top)}, is not better)"
        )
    label = CRITERIA[decisive][1]
    reason = (
        f"{_name(top)} ranks first on {names}: {label} "
        f"{_show(decisive, _value(top, decisive), _value(current, decisive))} against "
        f"{_show(decisive, _value(current, decisive), _value(top, decisive))} now"
    )
    runner = next((e for e in ranked[1:] if e.usable), None)
    if runner is not None:
        split = _decisive(top, runner, ranking)
        if split is not None:
            reason += (
                f"; ahead of {_name(runner)} on {CRITERIA[split][1]} "
                f"({_show(split, _value(top, split), _value(runner, split))} against "
                f"{_show(split, _value(runner, split), _value(top, split))})"
            )
    return top, reason
