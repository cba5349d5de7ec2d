"""Check settings for the images matching a glob: cosign keys and keyless identities
(``checks.signatures``), and ``rules[].checks`` / ``rules[].require_signature`` overrides.

Loaded only when a configuration has some (:func:`bot.checks.settings.checks_from_config`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.checks.settings import RuleValues, rule_values


@dataclass(frozen=True)
class SigningKey:
    """A cosign public key (PEM) trusted for images matching ``match``."""

    match: str
    pem: str | None = None
    path: str | None = None

    @property
    def label(self) -> str:
        """How reports name the key."""
        return self.path or f"inline key for {self.match}"


@dataclass(frozen=True)
class KeylessIdentity:
    """A keyless (Fulcio certificate) signer trusted for images matching ``match``."""

    match: str
    identity: str
    issuer: str


@dataclass(frozen=True)
class ImageChecks:
    """``rules[]`` overrides for images matching ``match``."""

    match: str
    rules: tuple[tuple[str, RuleValues], ...] = ()
    require_signature: bool | None = None


def image_checks(rules: Iterable[Mapping[str, Any]]) -> tuple[ImageChecks, ...]:
    """The validated ``rules[]`` entries that set ``checks`` or ``require_signature``."""
    return tuple(
        ImageChecks(
            match=rule["match"],
            rules=rule_values(rule.get("checks", {})),
            require_signature=rule.get("require_signature"),
        )
        for rule in rules
    )


def signing_keys(entries: Iterable[Mapping[str, Any]]) -> tuple[SigningKey, ...]:
    """The validated ``checks.signatures.keys`` entries."""
    return tuple(SigningKey(k["match"], pem=k.get("key"), path=k.get("path")) for k in entries)


def keyless_identities(entries: Iterable[Mapping[str, Any]]) -> tuple[KeylessIdentity, ...]:
    """The validated ``checks.signatures.keyless`` entries."""
    return tuple(KeylessIdentity(k["match"], k["identity"], k["issuer"]) for k in entries)
