"""Frozen records of recommendations: candidates, what each was found to be, the ranked result."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CURRENT",
    "KINDS",
    "LINE",
    "SUBSTITUTE",
    "UPDATE",
    "VARIANT",
    "Candidate",
    "Evaluation",
    "Recommendation",
    "Traits",
]

CURRENT = "current"
UPDATE = "update"  # the newest tag of the current release line, same variant
LINE = "next-line"  # the newest tag of the next supported release line, same variant
VARIANT = "variant"  # the same version in another variant (-alpine, -slim, newer embedded OS)
SUBSTITUTE = "substitute"  # a configured other image (recommend.alternatives)
KINDS = (CURRENT, UPDATE, LINE, VARIANT, SUBSTITUTE)


@dataclass(frozen=True, order=True)
class Candidate:
    """An image to compare with the current one: ``image`` (normalised name) and ``tag``,
    ``kind`` (one of :data:`KINDS`) and ``why`` it is a candidate."""

    image: str
    tag: str
    kind: str
    why: str = ""


@dataclass(frozen=True)
class Traits:
    """What using an image means in practice, read from its inventory (``None``: unknown)."""

    os: str | None = None
    libc: str | None = None  # "glibc" | "musl" | "none"
    shell: bool | None = None
    package_manager: str | None = None  # "apt" | "apk" | "dnf" ... | "none"
    user: str | None = None  # the config's User ("" = root)


@dataclass(frozen=True)
class Evaluation:
    """One candidate as found: ``None`` fields could not be determined (``errors`` says why).

    ``fixed``/``new`` count vulnerabilities relative to the current image; ``eol`` is
    ``supported``, ``eol`` or ``None`` (no lifecycle data), ``eol_note`` says it in words;
    ``signature`` is ``verified``/``signed``/``invalid``/``unsigned`` or ``None`` (not
    checked); ``changes`` are what moving to it changes for the user.
    """

    candidate: Candidate
    digest: str | None = None
    manifest_digest: str | None = None
    vulnerabilities: tuple[tuple[str, int], ...] | None = None
    fixed: int | None = None
    new: int | None = None
    compressed_size: int | None = None
    package_count: int | None = None
    eol: str | None = None
    eol_note: str = ""
    signature: str | None = None
    traits: Traits | None = None
    changes: tuple[str, ...] = ()
    inventory: str | None = None
    also: tuple[str, ...] = ()  # other candidate tags that are the same image (same digest)
    errors: tuple[str, ...] = ()

    @property
    def critical_high(self) -> int | None:
        """Critical plus high vulnerabilities."""
        if self.vulnerabilities is None:
            return None
        counts = dict(self.vulnerabilities)
        return counts.get("critical", 0) + counts.get("high", 0)

    @property
    def total(self) -> int | None:
        """All known vulnerabilities."""
        return None if self.vulnerabilities is None else sum(c for _, c in self.vulnerabilities)

    @property
    def usable(self) -> bool:
        """Whether it can be recommended: evaluated, vulnerabilities known, not end of life."""
        return self.vulnerabilities is not None and self.eol != "eol" and not self.errors


@dataclass(frozen=True)
class Recommendation:
    """The alternatives to one base-image reference (one image, tag and platform; ``sites`` are
    the ``(repo, path, line)`` places that use it), ranked by ``ranking``; ``winner`` is the
    top candidate when it beats the current image, ``reason`` says why (or why none does)."""

    image: str
    tag: str
    digest: str | None
    platform: str
    sites: tuple[tuple[str | None, str, int], ...]
    current: Evaluation
    candidates: tuple[Evaluation, ...]
    ranking: tuple[str, ...]
    winner: Evaluation | None
    reason: str
    notes: tuple[str, ...] = ()
