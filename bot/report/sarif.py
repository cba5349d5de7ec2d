"""SARIF 2.1.0 for GitHub code scanning: one located result per outdated reference. Pure.

* Paths: a repository run's paths are relative to its repository (one SARIF run per repository,
  with ``versionControlProvenance``). Local paths go through :class:`SarifBase`: relative to the
  git top level when PATH is inside a repository, else relative to PATH with a ``uriBaseId``
  that ``originalUriBaseIds`` maps to PATH's ``file://`` URI (:mod:`bot.report.sarifpaths`
  works these out).
* Rules: :mod:`bot.report.sarifrules` (every registered rule, so indices are stable): one per
  update type, one per governance check; governance findings (``report.findings``) are results
  at their configured severity, with code scanning's ``security-severity``.
* ``partialFingerprints``: a hash of rule, repository, path, image and its occurrence in the
  file — stable while lines move and versions change, never ``None``.
* Errors become tool execution notifications.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot import __version__
from bot.checks.model import Severity
from bot.models import ErrorRecord, FindingRecord, RunReport
from bot.report.sarifrules import INFO_URI, RULES, SarifRule, check_rule, update_rule
from bot.report.text import describe_version, display_name

__all__ = ["SARIF_SCHEMA", "SarifBase", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "baseImageBot/v1"


@dataclass(frozen=True)
class SarifBase:
    """How a local report path becomes an ``artifactLocation``: ``prefix`` + path, relative to
    ``base_id`` (whose absolute URI is ``base_uri``) or, without one, to the repository root."""

    prefix: str = ""
    base_id: str | None = None
    base_uri: str | None = None
    exact: str | None = (
        None  # the whole uri, for a file given as PATH (its report path is its name)
    )


def _location(path: str, line: int | None, base: SarifBase) -> dict[str, object]:
    artifact: dict[str, object] = {"uri": base.exact or f"{base.prefix}{path}"}
    if base.base_id:
        artifact["uriBaseId"] = base.base_id
    physical: dict[str, object] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _result(
    rule: SarifRule, message: str, location: dict[str, object], key: tuple[object, ...]
) -> dict[str, object]:
    return {
        "ruleId": rule.id,
        "ruleIndex": list(RULES).index(rule.id),
        "level": rule.level,
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: _fingerprint(rule.id, *key)},
    }


def _finding(f: FindingRecord, location: dict[str, object], occurrence: int) -> dict[str, object]:
    severity = Severity(f.severity)
    result = _result(check_rule(f.rule, f.severity), f.message, location,
                     (f.repo or "", f.path, f.image, occurrence))  # fmt: skip
    result["level"] = severity.sarif_level  # the configured severity, not the default
    result["properties"] = {"severity": f.severity,
                            "security-severity": severity.security_severity,
                            **({"fix": f.fix} if f.fix else {}), **dict(f.details)}  # fmt: skip
    return result


def _notification(error: ErrorRecord, base: SarifBase) -> dict[str, object]:
    where = f"{error.path}:{error.line}" if error.line else error.path
    note: dict[str, object] = {"level": "error", "message": {"text": f"{where}: {error.error}"}}
    if error.path:
        note["locations"] = [_location(error.path, error.line, base)]
    return note


def _run(repo: str | None, report: RunReport, bases: Mapping[str, SarifBase]) -> dict[str, object]:
    def base(path: str) -> SarifBase:
        return SarifBase() if repo is not None else bases.get(path, SarifBase())

    results = []
    seen: dict[tuple[str, str], int] = {}
    for u in (u for u in report.updates if u.repo == repo):
        occurrence = seen[(u.path, u.image)] = seen.get((u.path, u.image), -1) + 1
        rule = update_rule(u.update_type)
        message = (f"{display_name(u.image)}: {describe_version(u.current)} can be updated to "
                   f"{describe_version(u.proposed)} ({u.update_type})")  # fmt: skip
        location = _location(u.path, u.line, base(u.path))
        results.append(_result(rule, message, location, (repo or "", u.path, u.image, occurrence)))
    counted: dict[tuple[str, str, str], int] = {}
    for f in (f for f in report.findings if f.repo == repo):
        occurrence = counted[(f.rule, f.path, f.image)] = (
            counted.get((f.rule, f.path, f.image), -1) + 1
        )
        results.append(_finding(f, _location(f.path, f.line, base(f.path)), occurrence))
    errors = [e for e in report.errors if e.repo == repo]
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "base-image-bot",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFO_URI,
                "rules": [rule.descriptor() for rule in RULES.values()],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [_notification(e, base(e.path)) for e in errors],
            }
        ],
        "results": results,
    }
    if repo is not None:
        provenance = {"repositoryUri": f"https://github.com/{repo}"}
        run["versionControlProvenance"] = [provenance]
        # Several runs of one tool in one log need distinct categories for code scanning.
        run["automationDetails"] = {"id": f"base-image-bot/{repo}/"}
    originals = {b.base_id: {"uri": b.base_uri} for b in bases.values() if b.base_id and b.base_uri}
    if repo is None and originals:
        run["originalUriBaseIds"] = dict(sorted(originals.items()))
    return run


def render_sarif(report: RunReport, *, bases: Mapping[str, SarifBase] | None = None) -> str:
    """Render the report as a SARIF 2.1.0 log: one run for local files, one per repository.

    ``bases`` maps local report paths to their :class:`SarifBase` (default: the path as is).
    """
    report = report.sorted()
    owners = [u.repo for u in report.updates] + [e.repo for e in report.errors]
    owners += [f.repo for f in report.findings]
    repos = sorted({repo for repo in owners if repo is not None})
    keys: list[str | None] = [*([None] if None in owners or not repos else []), *repos]
    runs = [_run(repo, report, bases or {}) for repo in keys]
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
