"""Frozen records only runs over GitHub repositories make: what each repository cost on GitHub
and what the run did with its dependency dashboard (a :class:`bot.models.RunReport` holds them;
a local run never imports this module)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GitHubUse:
    """What one repository cost on GitHub in a run: requests sent, rate-limit points spent
    (every request but a 304 answer to a conditional one), and whether its reads were skipped
    because its default branch and pull requests were unchanged since the last run."""

    repo: str
    requests: int = 0
    rate_limit_points: int = 0
    unchanged: bool = False

    @property
    def sort_key(self) -> str:
        """Contract order: by repository."""
        return self.repo


@dataclass(frozen=True)
class DashboardRecord:
    """What a run did with a repository's dependency dashboard issue (``action``: ``open``,
    ``update``, ``none``, or ``closed`` when a person closed it and it is left alone)."""

    repo: str
    action: str
    reason: str
    number: int | None = None
    error: str | None = None
    body: str | None = None
