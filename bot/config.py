"""Configuration: one YAML file validated by ``config/schema.json``, environment and flag overrides.

Precedence, highest first: command-line flag > environment (``BASE_IMAGE_BOT_*``) > config file >
built-in defaults (the schema's ``default`` values, mirrored by ``config/default.yaml``).

Every error is a :class:`~bot.errors.ConfigError` whose message names where the bad value came
from (``FILE:LINE`` or the environment variable) and the key path, for example
``bot.yaml:7: repos[2].update_types[0]: 'pach' is not one of ['patch', 'minor', ...]``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bot.checks.model import RULES
from bot.checks.settings import ChecksSettings, checks_from_config
from bot.configload import (
    Positions,
    YamlDocument,
    load_yaml,
    parse_env_value,
)
from bot.dockerfile.discover import DEFAULT_INCLUDE
from bot.kinds.discover import DEFAULT_RULES, Discovery, KindRule
from bot.lineage.settings import LineageSettings, lineage_from_config
from bot.recommend.alternatives import parse_alternatives
from bot.versioning import ImageRule, UpdateType
from bot.versioning.rules import DEFAULT_UPDATE_TYPES

if TYPE_CHECKING:  # presets (``extends``), repositories and image rules: read when configured
    from bot.presets import PresetReader
    from bot.reposettings import RepoSettings
    from bot.rulesettings import ImageRuleSettings

ENV_PREFIX = "BASE_IMAGE_BOT_"
#: Environment variables with the prefix that are not configuration keys.
ENV_RESERVED = frozenset(
    {"BASE_IMAGE_BOT_CONFIG", "BASE_IMAGE_BOT_SHARD", "BASE_IMAGE_BOT_SHARD_COUNT"}
)


@dataclass(frozen=True)
class PolicyOverrides:
    """Policy keys given by a rule or a repository entry; ``None`` means "inherit"."""

    update_types: tuple[str, ...] | None = None
    versioning: str | None = None
    allow: str | None = None
    ignore: tuple[str, ...] | None = None
    lts_only: bool | None = None
    java_lts: tuple[int, ...] | None = None
    min_age_days: int | None = None
    pin_digests: bool | None = None
    #: Update types whose pull requests merge once their checks pass (``()``: none).
    automerge: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Policy:
    """A complete update policy (the default one, or one after overrides)."""

    update_types: tuple[str, ...] = tuple(t.value for t in UpdateType if t in DEFAULT_UPDATE_TYPES)
    versioning: str = "docker"
    allow: str | None = None
    ignore: tuple[str, ...] = ()
    lts_only: bool = False
    java_lts: tuple[int, ...] = (8, 11, 17, 21, 25)
    min_age_days: int = 0
    pin_digests: bool = False
    automerge: tuple[str, ...] = ()

    def with_overrides(self, overrides: PolicyOverrides) -> Policy:
        """Return this policy with every non-``None`` override applied."""
        changes = {k: v for k, v in vars(overrides).items() if v is not None}
        return Policy(**{**vars(self), **changes})

    def to_rule(self, match: str = "*") -> ImageRule:
        """The versioning stage's rule for this policy; raises PolicyError naming a bad field."""
        return ImageRule(
            match=match,
            update_types=frozenset(UpdateType(t) for t in self.update_types),
            versioning=self.versioning,
            allow=self.allow,
            ignore=self.ignore,
            lts_only=self.lts_only,
            java_lts=self.java_lts,
            min_age_days=self.min_age_days,
            pin_digests=self.pin_digests,
        )


@dataclass(frozen=True)
class RegistryEntry:
    """Connection settings of one registry host."""

    host: str
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    insecure: bool = False
    verify_tls: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class LookupSettings:
    """Timeouts, retries and concurrency of registry lookups."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 3
    concurrency_per_host: int = 4
    max_workers: int = 8
    max_pages: int = 10_000
    request_deadline: float = 120.0
    max_tags: int = 200_000
    page_size: int = 1000
    max_retry_after: float = 60.0
    verify_digests: str = "unless-pull-quota"
    #: Seconds a tag list from the persistent cache (``state_dir``) is used without asking.
    cache_ttl: float = 600.0


@dataclass(frozen=True)
class DescribeSettings:
    """Package/vulnerability diff and changelog of updates."""

    enabled: bool = True
    scanner: str = "builtin"
    cache_dir: str | None = None
    advisories_url: str = "https://storage.googleapis.com/osv-vulnerabilities"
    advisories_path: str | None = None
    advisories_max_age_hours: float = 24.0
    max_database_bytes: int = 256 << 20
    max_packages: int = 50_000
    max_package_changes: int | None = 1000
    #: Read the package list from the image's SBOM attestation when it has one.
    sbom_attestations: bool = True
    #: Add an "Alternatives" section (recommended other bases) to pull-request bodies.
    recommend: bool = False


#: Criteria ``recommend.ranking`` may name, in the words reports use.
RANKING_CRITERIA = ("critical_high", "vulnerabilities", "new", "size", "packages", "signed")


@dataclass(frozen=True)
class RecommendSettings:
    """Recommendations of other bases (``run --recommend``, ``describe.recommend``)."""

    enabled: bool = False
    max_candidates: int = 6
    ranking: tuple[str, ...] = ("critical_high", "size")
    #: ``(globs, substitutes)`` entries, configured ones first, then the bundled data file's.
    alternatives: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    bundled_alternatives: bool = True


@dataclass(frozen=True)
class GitHubSettings:
    """GitHub connection settings (the token itself stays in the environment)."""

    api_url: str | None = None
    token_env: str = "GITHUB_TOKEN"  # noqa: S105 - a variable name, not a secret
    throttle: bool = True
    app_id: int | None = None  # GitHub App: its id and where its private key is
    private_key_env: str | None = None
    private_key_file: str | None = None
    installation_id: int | None = None
    #: Seconds to wait for a secondary rate limit that names no time (doubled on each repeat).
    secondary_rate_limit_wait: float = 60.0
    #: Longest total wait for one request under rate limits before it fails.
    max_rate_limit_wait: float = 900.0


@dataclass(frozen=True)
class PullRequestSettings:
    """How pull requests are made."""

    grouping: str = "per-update"
    branch_prefix: str = "base-image-bot"
    title_template: str = "chore(deps): update {image} docker tag to {to}"
    digest_title_template: str = "chore(deps): update {image}:{tag} docker digest to {to_short}"
    labels: tuple[str, ...] = ("dependencies", "docker")
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    limit_per_run: int | None = None
    limit_open: int | None = None
    #: At most this many new bot PRs per repository in any hour (counted from GitHub's list).
    pr_hourly_limit: int | None = None
    always_rebase: bool = False
    #: How automerge merges: auto (squash, else merge, else rebase: what the repository allows).
    automerge_method: str = "auto"
    #: Merge automerge PRs whose head has no check at all (repositories without CI).
    automerge_without_checks: bool = False


@dataclass(frozen=True)
class DashboardSettings:
    """The dependency dashboard: one issue per repository listing the bot's updates."""

    enabled: bool = False
    title: str = "Dependency Dashboard"


@dataclass(frozen=True)
class ScheduleSettings:
    """When ``serve`` runs (APScheduler cron trigger, jitter, job store)."""

    cron: str = "0 3 * * *"
    timezone: str = "UTC"
    jitter_seconds: int = 300
    job_store: str | None = None
    run_at_start: bool = False
    #: Cron windows in which new pull requests may be opened (empty: any time).
    windows: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSettings:
    """The HTTP side and shutdown of ``serve``."""

    host: str = "127.0.0.1"
    port: int = 8080
    webhook_secret_env: str = "GITHUB_WEBHOOK_SECRET"  # noqa: S105 - a variable name
    dry_run: bool = False
    shutdown_timeout: float = 30.0
    #: Connections served at once; more get an immediate 503.
    max_connections: int = 32
    #: Webhook bodies read at once (signature checked while reading); more get a 503.
    webhook_concurrency: int = 4
    #: Seconds a client may take over a request (request line, headers, body).
    request_timeout: float = 30.0


@dataclass(frozen=True)
class ClusterSettings:
    """Several ``serve`` replicas sharing the work: leader election and the Redis work queue."""

    enabled: bool = False
    #: ``redis://host:port/db`` (``rediss://`` for TLS, ``unix://`` for a socket); no password.
    queue_url: str | None = None
    #: Environment variable holding the Redis password (unset: none).
    queue_password_env: str = "REDIS_PASSWORD"  # noqa: S105 - a variable name
    #: Prefix of every Redis key, and the name of the queue.
    namespace: str = "base-image-bot"
    #: ``auto``, ``kubernetes`` (a Lease) or ``postgresql`` (an advisory lock on the job store).
    election: str = "auto"
    lease_name: str = "base-image-bot"
    lease_namespace: str | None = None
    lease_seconds: float = 15.0
    #: Where the pod's service-account token, CA certificate and namespace are mounted.
    service_account_dir: str = "/var/run/secrets/kubernetes.io/serviceaccount"
    #: Seconds without a heartbeat after which a replica is dead and its repository requeued.
    dead_worker_seconds: float = 30.0


@dataclass(frozen=True)
class Settings:
    """The validated configuration the rest of the bot receives."""

    source: str = "<defaults>"
    log_level: str = "info"
    log_format: str = "text"
    state_dir: Path | None = None
    include: tuple[str, ...] = DEFAULT_INCLUDE
    ignore: tuple[str, ...] = ()
    #: Discovery of the other file kinds (compose, kubernetes, helm...), in matching order.
    file_kinds: tuple[KindRule, ...] = DEFAULT_RULES
    policy: Policy = field(default_factory=Policy)
    rules: tuple[ImageRuleSettings, ...] = ()
    registries: tuple[RegistryEntry, ...] = ()
    registry_aliases: tuple[tuple[str, str], ...] = ()
    #: ``registry_aliases`` entries whose tags are listed upstream (``list: upstream``).
    list_upstream: tuple[str, ...] = ()
    lookup: LookupSettings = field(default_factory=LookupSettings)
    platform: str = "linux/amd64"
    describe: DescribeSettings = field(default_factory=DescribeSettings)
    recommend: RecommendSettings = field(default_factory=RecommendSettings)
    checks: ChecksSettings = field(default_factory=ChecksSettings)
    github: GitHubSettings = field(default_factory=GitHubSettings)
    pull_requests: PullRequestSettings = field(default_factory=PullRequestSettings)
    repos: tuple[RepoSettings, ...] = ()
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    #: The lineage graph (``lineage:``) and the declared ``publishes`` map.
    lineage: LineageSettings = field(default_factory=LineageSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)

    @property
    def discovery(self) -> Discovery:
        """What discovery needs: Dockerfile globs, the other kinds' rules, ignored paths."""
        return Discovery(self.include, self.ignore, self.file_kinds)

    def registry(self, host: str) -> RegistryEntry:
        """Settings for ``host`` (defaults when it is not configured)."""
        for entry in self.registries:
            if entry.host == host:
                return entry
        return RegistryEntry(host=host)


@cache
def schema() -> dict[str, Any]:
    """The configuration JSON Schema shipped in ``config/schema.json``."""
    text = _schema_path().read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


def _schema_path() -> Path:
    packaged = Path(__file__).resolve().parent / "schema.json"  # the wheel's copy
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "config" / "schema.json"


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
    presets: PresetReader | None = None,
) -> Settings:
    """Load, merge and validate the configuration.

    ``path`` is the YAML file (``None``: built-in defaults only); ``environ`` supplies
    ``BASE_IMAGE_BOT_*`` overrides (default: ``os.environ``); ``overrides`` are command-line values
    keyed by dotted key path (``"policy.update_types"``), applied last. The presets ``extends``
    names are merged under all of them (:mod:`bot.presets`), read by ``presets`` (default: files
    beside ``path``, ``github>`` presets through the GitHub API with the configured token).
    """
    environ = os.environ if environ is None else environ
    if path is not None:
        document = load_yaml(path)
    else:
        document = YamlDocument(data={}, positions=Positions(origin="<defaults>"))
    data = document.data
    positions = document.positions
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in ENV_RESERVED:
            continue
        keys = env_keys(name)
        _set_path(data, keys, parse_env_value(name, environ[name]))
        positions.set_origin(keys, f"environment variable {name}")
    for dotted, value in (overrides or {}).items():
        keys = tuple(dotted.split("."))
        _set_path(data, keys, value)
        positions.set_origin(keys, f"command-line option for {dotted}")
    if "extends" in data:
        from bot.presetread import settings_reader
        from bot.presets import resolve_presets

        reader = presets or settings_reader(path, data.get("github", {}))
        document = resolve_presets(YamlDocument(data, positions), reader)
        data, positions = document.data, document.positions
    validate(data, positions)
    return _build(data, source=positions.origin)


def env_keys(name: str) -> tuple[str, ...]:
    """The key path a ``BASE_IMAGE_BOT_*`` variable sets: ``__`` separates levels.

    A shell variable name cannot hold ``-``, so ``_`` in the segment after ``CHECKS`` stands
    for the ``-`` of a check's id: ``BASE_IMAGE_BOT_CHECKS__END_OF_LIFE__WARN_DAYS`` sets
    ``checks.end-of-life.warn_days``. Any other segment is taken as written, in lower case.
    """
    keys = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
    if len(keys) > 1 and keys[0] == "checks":
        check = keys[1].replace("_", "-")
        if check in RULES:
            return (keys[0], check, *keys[2:])
    return keys


def validate(data: object, positions: Positions, *, separator: str = "\n") -> None:
    """Raise ConfigError listing every problem of ``data`` (schema, cron, time zone, policies,
    templates ...), one per line in document order; see :mod:`bot.configcheck`.

    The empty document (no file, variable or flag: every key at its default) has no problem,
    so a run without configuration loads none of the checks."""
    if data == {}:
        return
    from bot.configcheck import check_document, raise_problems

    raise_problems(check_document(data, positions), separator)


def _set_path(data: dict[str, Any], keys: tuple[str, ...], value: object) -> None:
    node: dict[str, Any] = data
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = copy.deepcopy(value)


def overrides_of(entry: Mapping[str, Any]) -> PolicyOverrides:
    """The policy keys of a ``policy``, ``rules[]`` or ``repos[]`` entry."""

    def tup(key: str) -> tuple[Any, ...] | None:
        value = entry.get(key)
        return None if value is None else tuple(value)

    return PolicyOverrides(
        update_types=tup("update_types"),
        versioning=entry.get("versioning"),
        allow=entry.get("allow"),
        ignore=tup("ignore"),
        lts_only=entry.get("lts_only"),
        java_lts=tup("java_lts"),
        min_age_days=entry.get("min_age_days"),
        pin_digests=entry.get("pin_digests"),
        automerge=_automerge(entry.get("automerge")),
    )


#: ``automerge: true``: every update type.
ALL_UPDATE_TYPES = tuple(t.value for t in UpdateType)


def _automerge(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return ALL_UPDATE_TYPES if value else ()
    assert isinstance(value, list | tuple)
    return tuple(str(v) for v in value)


def dashboard_of(value: object, base: DashboardSettings) -> DashboardSettings:
    if value is None:
        return base
    if isinstance(value, bool):
        return replace(base, enabled=value)
    assert isinstance(value, Mapping)
    return replace(base, **value)


def _build(data: Mapping[str, Any], *, source: str) -> Settings:
    defaults = Settings()
    discovery = data.get("discovery", {})
    github = data.get("github", {})
    state_dir = data.get("state_dir")
    schedule = _schedule(data.get("schedule", {}))
    # Repositories and image rules: their records load only when a configuration has some.
    repos: tuple[RepoSettings, ...] = ()
    if data.get("repos"):
        from bot.reposettings import repo_entry

        repos = tuple(repo_entry(entry) for entry in data["repos"])
    rules: tuple[ImageRuleSettings, ...] = ()
    if data.get("rules"):
        from bot.rulesettings import rules_of

        rules = rules_of(data["rules"], schedule.timezone)
    return Settings(
        source=source,
        log_level=data.get("log_level", defaults.log_level),
        log_format=data.get("log_format", defaults.log_format),
        state_dir=Path(state_dir).expanduser() if state_dir else None,
        include=tuple(discovery.get("include", defaults.include)),
        ignore=tuple(discovery.get("ignore", defaults.ignore)),
        file_kinds=_file_kinds(discovery, defaults.file_kinds),
        policy=Policy().with_overrides(overrides_of(data.get("policy", {}))),
        rules=rules,
        registries=tuple(
            RegistryEntry(host=host, **values)
            for host, values in sorted(data.get("registries", {}).items())
        ),
        registry_aliases=tuple(
            sorted(
                (source, target if isinstance(target, str) else target["mirror"])
                for source, target in data.get("registry_aliases", {}).items()
            )
        ),
        list_upstream=tuple(
            sorted(
                source
                for source, target in data.get("registry_aliases", {}).items()
                if isinstance(target, dict) and target.get("list") == "upstream"
            )
        ),
        lookup=LookupSettings(**data.get("lookup", {})),
        platform=data.get("platform", defaults.platform),
        describe=_describe(data.get("describe", {})),
        recommend=_recommend(data.get("recommend", {})),
        checks=checks_from_config(data.get("checks", {}), data.get("rules", [])),
        github=GitHubSettings(
            api_url=github.get("api_url"),
            token_env=github.get("token_env", defaults.github.token_env),
            throttle=github.get("throttle", defaults.github.throttle),
            app_id=github.get("app_id"),
            private_key_env=github.get("private_key_env"),
            private_key_file=github.get("private_key_file"),
            installation_id=github.get("installation_id"),
            secondary_rate_limit_wait=float(
                github.get("secondary_rate_limit_wait", defaults.github.secondary_rate_limit_wait)
            ),
            max_rate_limit_wait=float(
                github.get("max_rate_limit_wait", defaults.github.max_rate_limit_wait)
            ),
        ),
        pull_requests=_pull_requests(data.get("pull_requests", {}), PullRequestSettings()),
        repos=repos,
        schedule=schedule,
        service=ServiceSettings(**data.get("service", {})),
        lineage=lineage_from_config(data.get("lineage", {}), data.get("publishes", {})),
        cluster=ClusterSettings(**data.get("cluster", {})),
        dashboard=dashboard_of(data.get("dashboard"), DashboardSettings()),
    )


def _schedule(entry: Mapping[str, Any]) -> ScheduleSettings:
    values = dict(entry)
    if "windows" in values:
        values["windows"] = tuple(values["windows"])
    return ScheduleSettings(**values)


def _file_kinds(discovery: Mapping[str, Any], base: tuple[KindRule, ...]) -> tuple[KindRule, ...]:
    """``base`` with each kind's ``enabled``/``include``/``max_bytes`` from ``discovery.<kind>``."""
    rules = []
    for rule in base:
        entry = discovery.get(rule.name, {})
        rules.append(
            KindRule(
                rule.name,
                enabled=entry.get("enabled", rule.enabled),
                include=tuple(entry.get("include", rule.include)),
                max_bytes=entry.get("max_bytes", rule.max_bytes),
            )
        )
    return tuple(rules)


def _describe(entry: Mapping[str, Any]) -> DescribeSettings:
    advisories = entry.get("advisories", {})
    base = DescribeSettings()
    return DescribeSettings(
        enabled=entry.get("enabled", base.enabled),
        scanner=entry.get("scanner", base.scanner),
        cache_dir=entry.get("cache_dir"),
        advisories_url=advisories.get("url", base.advisories_url),
        advisories_path=advisories.get("path"),
        advisories_max_age_hours=float(
            advisories.get("max_age_hours", base.advisories_max_age_hours)
        ),
        max_database_bytes=entry.get("max_database_bytes", base.max_database_bytes),
        max_packages=entry.get("max_packages", base.max_packages),
        max_package_changes=entry.get("max_package_changes", base.max_package_changes),
        sbom_attestations=entry.get("sbom_attestations", base.sbom_attestations),
        recommend=entry.get("recommend", base.recommend),
    )


def _recommend(entry: Mapping[str, Any]) -> RecommendSettings:
    base = RecommendSettings()
    configured = parse_alternatives(entry.get("alternatives", []), "recommend.alternatives")
    return RecommendSettings(
        enabled=entry.get("enabled", base.enabled),
        max_candidates=entry.get("max_candidates", base.max_candidates),
        ranking=tuple(entry.get("ranking", base.ranking)),
        alternatives=configured,
        bundled_alternatives=entry.get("bundled_alternatives", base.bundled_alternatives),
    )


def _pull_requests(entry: Mapping[str, Any], base: PullRequestSettings) -> PullRequestSettings:
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
    return replace(base, **values)


#: A repository's own configuration file (see :mod:`bot.repoconfig`).
REPO_CONFIG_PATH = ".github/base-image-bot.yml"
