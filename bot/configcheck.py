"""Every problem of a configuration document in one pass, sorted by line.

The schema (``config/schema.json``) checks shapes and types; the checks here add what ``serve``
and ``run`` would otherwise only find later: cron expressions through APScheduler's parser
(:mod:`bot.cron`), time zones through ``zoneinfo``, version ranges and regexes of every policy,
title templates, the job store URL and the GitHub App key source. Each problem reads
``WHERE: key.path: message`` (``WHERE`` is ``FILE:LINE`` or the environment variable / flag the
value came from), in human words rather than raw schema patterns.

Validation has two speeds. ``jsonschema-rs`` (compiled; loads and validates in milliseconds)
answers whether a document is valid; only an invalid one is walked again with ``jsonschema``,
whose error objects (validator, schema part, sub-errors of ``oneOf``) the messages below are made
from. Importing ``jsonschema`` alone costs about a tenth of a second of CPU, paid by every command
that loads a configuration (and per repository configuration at organisation scale); the Python
validator stays the reference: whatever it accepts is valid, whatever it refuses is reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.configload import Key, Positions, format_path
from bot.errors import ConfigError, PolicyError

if TYPE_CHECKING:
    import jsonschema

#: Human words for the schema's patterns (keyed by the pattern itself).
PATTERN_MESSAGES = {
    "^[A-Za-z_][A-Za-z0-9_]*$": "expected the name of an environment variable (letters, digits, _)",
    "^([A-Za-z0-9_.-]+/([A-Za-z0-9_.-]+|\\*)|\\*/\\*)$": "expected OWNER/NAME, OWNER/* or */*",
    "^[A-Za-z0-9.-]+(:[0-9]+)?$": "expected a registry host[:port]",
    "^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$": "expected host[:port][/path prefix]",
    "^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$": "expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8",
    "^https?://": "expected an http:// or https:// URL",
    "^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$": "expected a branch name prefix (letters, digits, "
    "'.', '_', '-', separated by '/')",
    "^(docker|semver|pep440|loose|regex:.+)$": "expected docker, semver, pep440, loose or "
    "regex:<pattern>",
    "^(github>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(:[^#\\s]+)?(#\\S+)?|[^\\s>][^>]*)$": "expected a "
    "file path or github>OWNER/REPO[:PATH][#REF]",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: where it sorts (line, deeper keys first), its text and its key path."""

    order: tuple[int, int]
    text: str
    keys: tuple[Key, ...] = field(compare=False, default=())


def _problem(positions: Positions, keys: tuple[Key, ...], message: str) -> Problem:
    where = positions.describe(keys)
    text = f"{where}: {format_path(keys) or '<top level>'}: {message}"
    return Problem(positions.order(keys), text, keys)


def _related(a: tuple[Key, ...], b: tuple[Key, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def check_document(data: object, positions: Positions) -> list[str]:
    """Every problem of ``data``, in document order (empty when it is valid). A value the
    schema refuses is not checked again (one problem per key)."""
    found = set(schema_problems(data, positions))
    if isinstance(data, Mapping):
        refused = [p.keys for p in found if p.keys]
        found.update(
            p
            for p in semantic_problems(data, positions)
            if not any(_related(p.keys, keys) for keys in refused)
        )
    return [p.text for p in sorted(found)]


def raise_problems(problems: list[str], separator: str = "\n") -> None:
    """ConfigError carrying every problem (one per line), if there are any."""
    if problems:
        raise ConfigError(separator.join(problems))


# -- schema ---------------------------------------------------------------------------------


@cache
def _fast_validator() -> Any:
    import jsonschema_rs

    from bot.config import schema

    return jsonschema_rs.Draft202012Validator(schema())


def schema_problems(data: object, positions: Positions) -> Iterator[Problem]:
    """The schema's errors, one per key, in human words. An empty document (no file, no
    variable, no flag: every key at its default, which tests hold the schema to) is not
    validated: a run without configuration loads no validator."""
    if data == {} or _fast_validator().is_valid(data):
        return
    import jsonschema

    from bot.config import schema

    validator = jsonschema.Draft202012Validator(schema())
    errors = [_deepest(e) for e in validator.iter_errors(data)]
    paths = [tuple(e.absolute_path) for e in errors if e.validator != "unevaluatedProperties"]
    seen: set[tuple[Key, ...]] = set()
    for error in errors:
        keys: tuple[Key, ...] = tuple(error.absolute_path)
        if error.validator == "unevaluatedProperties" and any(
            p[: len(keys)] == keys for p in paths
        ):
            continue  # a side effect of another error in the same object
        if error.validator == "pattern" and any(
            error.schema is schema()["$defs"].get(name) for name in ("cron", "window")
        ):
            continue  # the cron and window checks say what is wrong in words
        keys, message = _describe(error, keys)
        if keys not in seen:
            seen.add(keys)
            yield _problem(positions, keys, message)


def _describe(
    error: jsonschema.ValidationError, keys: tuple[Key, ...]
) -> tuple[tuple[Key, ...], str]:
    part = error.schema
    if (
        error.validator in ("additionalProperties", "unevaluatedProperties")
        and isinstance(error.instance, dict)
        and isinstance(part, Mapping)
    ):
        allowed = set(part.get("properties", {})) | _evaluated_names(part)
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            return (*keys, unknown[0]), f"unknown key {unknown[0]!r} (known keys: {known})"
    if error.validator == "pattern" and isinstance(part, Mapping):
        words = PATTERN_MESSAGES.get(str(part.get("pattern")))
        if words:
            return keys, f"{error.instance!r}: {words}"
    return keys, error.message


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf failures, descend to the most specific sub-error."""
    import jsonschema.exceptions

    while error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is None or len(best.absolute_path) < len(error.absolute_path):
            break
        error = best
    return error


@cache
def _defs_properties(name: str) -> frozenset[str]:
    from bot.config import schema

    return frozenset(schema()["$defs"].get(name, {}).get("properties", {}))


def _evaluated_names(schema_part: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    for sub in [schema_part, *schema_part.get("allOf", [])]:
        ref = sub.get("$ref", "")
        if ref.startswith("#/$defs/"):
            names |= _defs_properties(ref.removeprefix("#/$defs/"))
    return names


# -- what serve and run would reject later ----------------------------------------------------


def semantic_problems(data: Mapping[str, Any], positions: Positions) -> Iterator[Problem]:
    """Problems the schema cannot see; each check skips values of the wrong type (the schema
    reports those)."""
    for check in (_schedules, _windows, _rule_scopes, _policies, _templates, _job_store,
                  _cluster, _github_app):  # fmt: skip
        for keys, message in check(data):
            yield _problem(positions, keys, message)


Found = Iterator[tuple[tuple[Key, ...], str]]


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


# The schedule checks load the cron parser and zoneinfo: only for a schedule that is configured.
def _cron_problem(cron: str) -> str | None:
    """See :func:`bot.cron.cron_problem`."""
    from bot.cron import cron_problem

    return cron_problem(cron)


def _timezone_problem(name: str) -> str | None:
    """See :func:`bot.cron.timezone_problem`."""
    from bot.cron import timezone_problem

    return timezone_problem(name)


def _window_problem(cron: str) -> str | None:
    """See :func:`bot.windows.window_problem`."""
    from bot.windows import window_problem

    return window_problem(cron)


def _schedules(data: Mapping[str, Any]) -> Found:
    schedule = _section(data, "schedule")
    timezone = schedule.get("timezone")
    if isinstance(timezone, str) and (problem := _timezone_problem(timezone)):
        yield ("schedule", "timezone"), problem
    crons: list[tuple[tuple[Key, ...], object]] = [(("schedule", "cron"), schedule.get("cron"))]
    repos = data.get("repos")
    for index, entry in enumerate(repos if isinstance(repos, list) else []):
        if isinstance(entry, Mapping):
            own = entry.get("schedule")
            if isinstance(own, Mapping):
                crons.append((("repos", index, "schedule", "cron"), own.get("cron")))
            else:
                crons.append((("repos", index, "schedule"), own))
    for keys, cron in crons:
        if isinstance(cron, str) and (problem := _cron_problem(cron)):
            yield keys, problem


def _windows(data: Mapping[str, Any]) -> Found:
    """Schedule windows and their time zones: ``schedule``, ``repos[].schedule``,
    ``rules[].schedule`` (read by the scheduler's parser, as the bot evaluates them)."""
    places: list[tuple[tuple[Key, ...], object]] = [(("schedule",), data.get("schedule"))]
    for list_key in ("repos", "rules"):
        items = data.get(list_key)
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if isinstance(entry, Mapping) and isinstance(entry.get("schedule"), Mapping):
                places.append(((list_key, index, "schedule"), entry["schedule"]))
    for keys, section in places:
        if not isinstance(section, Mapping):
            continue
        zone = section.get("timezone")
        if keys != ("schedule",) and isinstance(zone, str) and (problem := _timezone_problem(zone)):
            yield (*keys, "timezone"), problem
        windows = section.get("windows")
        for index, window in enumerate(windows if isinstance(windows, list) else []):
            if isinstance(window, str) and (problem := _window_problem(window)):
                yield (*keys, "windows", index), problem


#: What a rule limited to update types (``match_update_types``) may set besides ``match``.
SCOPED_RULE_KEYS = frozenset({"match", "match_update_types", "automerge", "group", "schedule"})


def _rule_scopes(data: Mapping[str, Any]) -> Found:
    rules = data.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, Mapping) or "match_update_types" not in rule:
            continue
        for key in rule:
            if key not in SCOPED_RULE_KEYS:
                yield (("rules", index, key), "a rule limited by match_update_types may set "
                       "only automerge, group and schedule")  # fmt: skip


def _policies(data: Mapping[str, Any]) -> Found:
    """Every policy the document describes, built, so a bad range or regex is found now."""
    from bot.config import Policy, PolicyOverrides, overrides_of

    policy_keys = frozenset(vars(PolicyOverrides()))

    entries: list[tuple[tuple[Key, ...], object]] = [(("policy",), data.get("policy", {}))]
    for list_key in ("rules", "repos"):
        items = data.get(list_key)
        entries += [
            ((list_key, i), e) for i, e in enumerate(items if isinstance(items, list) else [])
        ]
    base = Policy()
    for keys, entry in entries:
        if not isinstance(entry, Mapping):
            continue
        # Field by field (with the entry's versioning, which ranges depend on), so one bad
        # value does not hide another.
        scheme = {"versioning": entry["versioning"]} if "versioning" in entry else {}
        for name in [k for k in entry if k in policy_keys] or ["versioning"]:
            try:
                base.with_overrides(overrides_of({**scheme, name: entry.get(name)})).to_rule()
            except PolicyError as exc:
                field_name, _, reason = str(exc).partition(": ")
                yield (*keys, field_name), reason
            except (TypeError, ValueError, KeyError):
                continue  # wrong types: the schema reports them
        if keys == ("policy",):
            try:
                base = base.with_overrides(overrides_of(entry))
            except (TypeError, ValueError):
                continue


def _templates(data: Mapping[str, Any]) -> Found:
    from bot.forge.branches import render_template

    section = _section(data, "pull_requests")
    for key in ("title_template", "digest_title_template"):
        template = section.get(key)
        if isinstance(template, str):
            try:
                render_template(template, {})
            except ConfigError as exc:
                yield ("pull_requests", key), exc.message.partition(": ")[2] or exc.message


def _job_store(data: Mapping[str, Any]) -> Found:
    url = _section(data, "schedule").get("job_store")
    if not isinstance(url, str):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        yield ("schedule", "job_store"), f"not a usable SQLAlchemy URL: {_first_line(exc)}"
    except ImportError as exc:
        yield ("schedule", "job_store"), f"its database driver is not installed: {exc.name}"


def _cluster(data: Mapping[str, Any]) -> Found:
    """Distributed mode needs its queue; a PostgreSQL election needs a PostgreSQL job store;
    a password never sits in the queue URL (it would be printed with the settings)."""
    cluster = _section(data, "cluster")
    url = cluster.get("queue_url")
    if isinstance(url, str):
        from urllib.parse import urlsplit

        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            yield (
                ("cluster", "queue_url"),
                (
                    "holds a password: put it in the environment variable named by "
                    "cluster.queue_password_env instead"
                ),
            )
    if cluster.get("enabled") is not True:
        return
    if url is None:
        yield ("cluster", "enabled"), "distributed mode needs cluster.queue_url (a Redis URL)"
    store = _section(data, "schedule").get("job_store")
    postgres = isinstance(store, str) and store.startswith(("postgresql", "postgres:"))
    if cluster.get("election") == "postgresql" and not postgres:
        yield (
            ("cluster", "election"),
            (
                "postgresql elects the leader with an advisory lock in schedule.job_store, "
                "which must then be a postgresql:// URL"
            ),
        )


def _github_app(data: Mapping[str, Any]) -> Found:
    github = _section(data, "github")
    if github.get("app_id") is not None and not (
        github.get("private_key_env") or github.get("private_key_file")
    ):
        yield ("github", "app_id"), "a GitHub App needs github.private_key_env or private_key_file"


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


__all__ = ["Problem", "check_document", "raise_problems", "schema_problems", "semantic_problems"]
