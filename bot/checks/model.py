"""Severities and the catalogue of governance rules: ids, default severities, help texts.

A rule's id is stable (it appears in configuration keys, JSON ``findings[].rule`` and SARIF
``ruleId``); its message always names the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import ConfigError


class Severity(StrEnum):
    """How bad a finding is; ordered ``info`` < ``low`` < ``medium`` < ``high`` < ``critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the order (``info`` = 0)."""
        return SEVERITY_ORDER.index(self)

    @property
    def security_severity(self) -> str:
        """GitHub code scanning's numeric ``security-severity`` (CVSS-like, 0.0-10.0)."""
        return _SECURITY_SEVERITY[self]

    @property
    def sarif_level(self) -> str:
        """SARIF ``level`` for a result of this severity."""
        return {"info": "note", "low": "note", "medium": "warning"}.get(self.value, "error")

    @classmethod
    def parse(cls, value: str, where: str) -> Severity:
        """``value`` as a severity; ConfigError naming ``where`` otherwise."""
        try:
            return cls(value.strip().lower())
        except ValueError as exc:
            names = ", ".join(s.value for s in SEVERITY_ORDER)
            raise ConfigError(f"{where}: {value!r} is not a severity ({names})") from exc


SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.INFO,
    Severity.LOW,
    Severity.MEDIUM,
    Severity.HIGH,
    Severity.CRITICAL,
)
# GitHub: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
_SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "2.0",
    Severity.MEDIUM: "5.0",
    Severity.HIGH: "7.5",
    Severity.CRITICAL: "9.5",
}


@dataclass(frozen=True)
class RuleInfo:
    """One governance rule: its stable id, default severity and the texts reports show."""

    id: str
    name: str  # SARIF's PascalCase name
    severity: Severity
    enabled: bool
    title: str
    help: str


UNPINNED_TAG = "unpinned-tag"
END_OF_LIFE = "end-of-life"
UNAPPROVED_BASE = "unapproved-base"
COMMUNITY_IMAGE = "community-image"
UNSIGNED_IMAGE = "unsigned-image"
NO_PROVENANCE = "no-provenance"
VULNERABLE_BASE = "vulnerable-base"

RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        RuleInfo(
            UNPINNED_TAG,
            "UnpinnedTag",
            Severity.MEDIUM,
            True,
            "The base image tag floats (no tag, latest, or a partial version)",
            "A tag such as `latest`, `3`, `3.12-slim` or `bookworm` moves to a different image "
            "whenever a new release is pushed, so two builds of the same commit can get different "
            "base images. Pin the precise version tag the reference resolves to today (the "
            "finding names it, with its digest); `run --fix unpinned-tag` or the `pin` update "
            "type rewrites it, and the bot keeps the pinned tag current afterwards.",
        ),
        RuleInfo(
            END_OF_LIFE,
            "EndOfLife",
            Severity.HIGH,
            True,
            "The base image's release line is past its end of life or security support",
            "The release line (language runtime, distribution or server) gets no more security "
            "fixes. Move to the nearest supported line the finding names; with `minor`, `major` or "
            "`os` in the update policy the bot proposes that move itself. Lifecycle data comes "
            "from endoflife.date; a warning is given `warn_days` before the date.",
        ),
        RuleInfo(
            UNAPPROVED_BASE,
            "UnapprovedBase",
            Severity.HIGH,
            True,
            "The base image is not on the list of approved base images",
            "The organisation keeps a list of approved base images (`checks.approved_bases`, "
            "globs on the normalised name). Switch to an approved image, or ask for this one to "
            "be added to the list.",
        ),
        RuleInfo(
            COMMUNITY_IMAGE,
            "CommunityImage",
            Severity.INFO,
            True,
            "The base image comes from a community publisher on Docker Hub",
            "Docker Hub images outside `library/` (Docker Official Images) and the verified "
            "publishers listed in `checks.community-image.verified_publishers` are maintained by "
            "anyone. Prefer an official or verified image, or approve this one explicitly with "
            "`checks.approved_bases`.",
        ),
        RuleInfo(
            UNSIGNED_IMAGE,
            "UnsignedImage",
            Severity.MEDIUM,
            False,
            "The base image has no signature, or its signature does not verify",
            "No cosign or Notation signature was found for the image digest (the cosign "
            "`sha256-<hex>.sig` tag and the OCI 1.1 referrers API are checked), or a signature "
            "did not verify against the keys in `checks.signatures.keys` or the keyless "
            "identities in `checks.signatures.keyless`. Use a signed image, or configure the key "
            "its publisher signs with.",
        ),
        RuleInfo(
            NO_PROVENANCE,
            "NoProvenance",
            Severity.LOW,
            False,
            "The base image carries no provenance or SBOM attestation",
            "No BuildKit attestation manifest (SLSA provenance, SPDX SBOM) in the image index and "
            "no attestation referrer was found. Prefer images built with provenance and SBOM "
            "attestations so what is inside them can be audited.",
        ),
        RuleInfo(
            VULNERABLE_BASE,
            "VulnerableBase",
            Severity.HIGH,
            True,
            "The base image has vulnerabilities that an available update fixes",
            "The image in use has vulnerabilities at or above `min_severity` that the proposed "
            "update fixes (from the package and vulnerability diff of the describe stage). Take "
            "the update the finding links to.",
        ),
    )
}


def rule_info(rule_id: str) -> RuleInfo:
    """The catalogue entry of ``rule_id`` (KeyError for an unknown id)."""
    return RULES[rule_id]


@dataclass(frozen=True)
class Verdict:
    """What a pure rule found about one image reference; the engine adds where and how severe.

    ``severity`` overrides the configured one (an early end-of-life warning, a signature that
    fails to verify); ``fix`` is the one answer when there is one.
    """

    rule: str
    message: str
    fix: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    severity: Severity | None = None
