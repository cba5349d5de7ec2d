"""What the last run of each repository saw, so an unchanged repository costs no GitHub reads.

Per repository: the forge's fingerprint (changes with every push, default-branch change and pull
request change), a fingerprint of the configuration that applied, the files read at the default
branch head, a fingerprint of what the run wanted (the pull requests it planned, from this run's
registry lookups) and the pull-request records it reported. A later run whose GitHub fingerprint
and configuration are the same reuses the files (no tree or blob reads) and still resolves every
reference against the registry; only when it then wants exactly what the last run wanted does it
skip the pull-request reads too and report the same records (:mod:`bot.pipeline.repos`).

Stored with SQLAlchemy: SQLite ``<state_dir>/repo-state.sqlite`` by default, the service's
database when ``schedule.job_store`` names one (one table, ``base_image_bot_repo_state``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.forge.protocol import MergeSettings, RepoFile, RepoSnapshot
from bot.models import PullRequestRecord

__all__ = ["RepoState", "RepoStateStore", "digest_of", "open_state_store"]

logger = logging.getLogger(__name__)

TABLE = "base_image_bot_repo_state"
STATE_FILE = "repo-state.sqlite"


@dataclass(frozen=True)
class RepoState:
    """One repository as its last run saw it (see the module docstring)."""

    fingerprint: str
    config: str
    snapshot: RepoSnapshot
    wanted: str
    dry_run: bool
    records: tuple[PullRequestRecord, ...]


def digest_of(*parts: object) -> str:
    """A stable fingerprint of frozen records (their ``repr`` is deterministic)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _encode(state: RepoState) -> str:
    snap = state.snapshot
    return json.dumps(
        {
            "fingerprint": state.fingerprint,
            "config": state.config,
            "wanted": state.wanted,
            "dry_run": state.dry_run,
            "snapshot": {
                "repo": snap.repo,
                "default_branch": snap.default_branch,
                "base_sha": snap.base_sha,
                "tree_sha": snap.tree_sha,
                "archived": snap.archived,
                "merge": asdict(snap.merge),
                "files": [
                    [f.path, f.sha, base64.b64encode(f.content).decode(), f.mode]
                    for f in snap.files
                ],
            },
            "records": [
                {f.name: getattr(r, f.name) for f in fields(PullRequestRecord)}
                for r in state.records
            ],
        }
    )


def _decode(text: str) -> RepoState:
    data: Any = json.loads(text)
    snap = data["snapshot"]
    files = tuple(
        RepoFile(path, sha, base64.b64decode(content), mode)
        for path, sha, content, mode in snap["files"]
    )
    return RepoState(
        fingerprint=str(data["fingerprint"]),
        config=str(data["config"]),
        wanted=str(data["wanted"]),
        dry_run=bool(data["dry_run"]),
        snapshot=RepoSnapshot(
            snap["repo"],
            snap["default_branch"],
            snap["base_sha"],
            snap["tree_sha"],
            files,
            bool(snap["archived"]),
            MergeSettings(**snap.get("merge", {})),
        ),
        records=tuple(PullRequestRecord(**record) for record in data["records"]),
    )


class RepoStateStore:
    """``repository → RepoState`` in a SQL database (thread-safe; shards may share it)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30}  # shards write the same file
        self._engine = sa.create_engine(url, **options)
        self._table = sa.Table(
            TABLE,
            sa.MetaData(),
            sa.Column("repo", sa.String(512), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
        )
        self._lock = threading.Lock()
        self._table.metadata.create_all(self._engine)

    def get(self, repo: str) -> RepoState | None:
        """The last run's view of ``repo`` (``None``: none, or unreadable)."""
        sa, table = self._sa, self._table
        with self._lock, self._engine.connect() as conn:
            text = conn.execute(sa.select(table.c.state).where(table.c.repo == repo)).scalar()
        if text is None:
            return None
        try:
            return _decode(str(text))
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("%s: stored state unreadable (%s); reading everything", repo, exc)
            return None

    def put(self, repo: str, state: RepoState) -> None:
        """Record ``state`` as what ``repo``'s last run saw."""
        sa, table = self._sa, self._table
        text = _encode(state)
        with self._lock, self._engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.repo == repo))
            conn.execute(sa.insert(table).values(repo=repo, state=text))

    def forget(self, repo: str) -> None:
        """Drop ``repo``'s state (its next run reads everything)."""
        sa, table = self._sa, self._table
        with self._lock, self._engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.repo == repo))

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()


def open_state_store(settings: Settings) -> RepoStateStore | None:
    """The store for ``settings``: the job store's database when configured, else SQLite in
    ``state_dir``; ``None`` without either (every run then reads everything)."""
    if settings.schedule.job_store:
        return RepoStateStore(settings.schedule.job_store)
    if settings.state_dir is None:
        return None
    directory = Path(settings.state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return RepoStateStore(f"sqlite:///{directory / STATE_FILE}")
