"""Which OSV range types count: ECOSYSTEM everywhere, SEMVER for npm and Go, never GIT."""

from __future__ import annotations

from bot.scan.osv import AffectedRange, parse_advisory

SEMVER = {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}
GIT = {"type": "GIT", "repo": "https://github.com/x/y", "events": [{"introduced": "abc1234"}]}
ECOSYSTEM = {"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"last_affected": "2.1.0"}]}


def _affected(ecosystem: str) -> AffectedRange:
    record = {
        "id": "GHSA-0000-0000-0000",
        "aliases": ["CVE-2024-0001"],
        "affected": [
            {"package": {"ecosystem": ecosystem, "name": "pkg"}, "ranges": [SEMVER, GIT, ECOSYSTEM]}
        ],
    }
    (affected,) = parse_advisory(record).affected
    return affected


def test_semver_ranges_count_for_npm_and_go() -> None:
    both = ((("introduced", "0"), ("fixed", "1.3.0")),
            (("introduced", "2.0.0"), ("last_affected", "2.1.0")))  # fmt: skip
    for ecosystem in ("npm", "Go"):
        affected = _affected(ecosystem)
        assert (affected.ecosystem, affected.ranges) == (ecosystem, both)


def test_distributions_read_ecosystem_ranges_only() -> None:
    for ecosystem in ("Debian:12", "Alpine:v3.19", "Ubuntu:22.04:LTS"):
        assert _affected(ecosystem).ranges == (
            (("introduced", "2.0.0"), ("last_affected", "2.1.0")),
        )
