"""The PyGithub client under :class:`bot.forge.github.GitHubForge`: connection, retries, errors.

Every request carries ``X-GitHub-Api-Version``; rate limits and failed requests are retried as
:mod:`bot.forge.retry` decides; every PyGithub or ``requests`` exception is turned into a
:class:`bot.errors.GitHubError` whose message names the repository, the step and the cause,
never the token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
from github import Auth, Github, GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository
from urllib3.util.retry import Retry

from bot.errors import GitHubError, GitHubUncertainError
from bot.forge.branches import parse_marker
from bot.forge.failures import describe_io, explain, is_uncertain
from bot.forge.httpcache import GitHubUsage, UsageCounter, install
from bot.forge.protocol import BotPullRequest
from bot.forge.retry import GitHubRetry
from bot.logsetup import mask

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
#: The REST API version the bot is written against (docs.github.com "API Versions").
API_VERSION = "2022-11-28"
#: ``retry`` default: :class:`~bot.forge.retry.GitHubRetry` with the given waits.
USE_DEFAULT: Any = object()
T = TypeVar("T")


class GitHubClient:
    """PyGithub plus the bot's retry policy and error messages. ``throttle=False`` and
    ``retry=None`` are for tests only.

    Authenticates with ``token`` (else ``$GITHUB_TOKEN``), or with ``auth`` (a PyGithub ``Auth``,
    e.g. a GitHub App installation's, see :mod:`bot.forge.app`; ``installation`` then names it
    in error messages). ``cache_path``: the persistent HTTP cache that makes every ``GET``
    conditional (:mod:`bot.forge.httpcache`); requests and rate-limit points are counted either way.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: Auth.Auth | None = None,
        base_url: str | None = None,
        throttle: bool = True,
        retry: int | Retry | None = USE_DEFAULT,
        timeout: float = 15.0,
        per_page: int = 100,
        installation: int | None = None,
        secondary_rate_limit_wait: float = 60.0,
        max_rate_limit_wait: float = 900.0,
        cache_path: Path | None = None,
    ) -> None:
        if auth is None:
            token = token or os.environ.get("GITHUB_TOKEN")
            if not token:
                raise GitHubError("no GitHub token: set GITHUB_TOKEN or pass a token")
            auth = Auth.Token(token)
        self._token = token
        self.installation = installation
        self.base_url = (base_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip(
            "/"
        )
        options: dict[str, Any] = {}
        if not throttle:
            options.update(seconds_between_requests=None, seconds_between_writes=None)
        if retry is USE_DEFAULT:
            retry = GitHubRetry(
                secondary_wait=secondary_rate_limit_wait, max_wait=max_rate_limit_wait
            )
        self._gh = Github(
            base_url=self.base_url,
            auth=auth,
            per_page=per_page,
            lazy=True,
            timeout=max(1, int(timeout)),
            retry=retry,
            api_version=API_VERSION,
            **options,
        )
        self._repos: dict[str, Repository] = {}
        self._usage = UsageCounter()
        install(self._gh, self._usage, cache_path)

    def usage(self) -> GitHubUsage:
        """Requests sent and rate-limit points spent so far (304 answers cost none)."""
        return self._usage.snapshot()

    def close(self) -> None:
        """Release HTTP connections."""
        self._gh.close()

    @contextmanager
    def _step(self, repo: str, step: str) -> Iterator[None]:
        try:
            yield
        except GithubException as exc:
            error = GitHubUncertainError if is_uncertain(exc) else GitHubError
            message = explain(exc, repo, step, self.installation)
            raise error(self._scrub(f"{repo}: {message}")) from exc
        except requests.RequestException as exc:
            error = GitHubUncertainError if is_uncertain(exc) else GitHubError
            raise error(self._scrub(f"{repo}: {step} failed: {describe_io(exc)}")) from exc

    def _scrub(self, message: str) -> str:
        return mask(message.replace(self._token, "***") if self._token else message)

    def _repo(self, repo: str) -> Repository:
        if repo not in self._repos:
            self._repos[repo] = self._gh.get_repo(repo)  # lazy: no request yet
        return self._repos[repo]

    def _checked(
        self,
        repo: str,
        step: str,
        write: Callable[[], T],
        applied: Callable[[], T | None],
        attempts: int = 2,
    ) -> T:
        """``write()``; when its answer is lost (5xx, timeout, dropped connection) ask
        ``applied()`` whether it happened anyway (its result, or None) before writing again."""
        for attempt in range(1, attempts + 1):
            try:
                return write()
            except (GithubException, requests.RequestException) as exc:
                if not is_uncertain(exc):
                    raise
                logger.warning(
                    "%s: %s: no answer (%s); checking whether it was done",
                    repo,
                    step,
                    type(exc).__name__,
                )
                done = applied()
                if done is not None:
                    logger.info("%s: %s: it was done; not repeated", repo, step)
                    return done
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def done(call: Callable[[], object]) -> Callable[[], bool]:
    """``call`` as a write for :meth:`GitHubClient._checked` (returns True once made)."""

    def run() -> bool:
        call()
        return True

    return run


def to_bot_pr(pr: PullRequest, labels: tuple[str, ...] = ()) -> BotPullRequest:
    """The protocol record of a PyGithub pull request."""
    body = pr.body or ""
    return BotPullRequest(
        number=pr.number,
        branch=pr.head.ref,
        state=pr.state,
        merged=pr.merged_at is not None,
        title=pr.title,
        body=body,
        marker=parse_marker(body),
        head_sha=pr.head.sha,
        base_ref=pr.base.ref,
        base_sha=pr.base.sha,
        url=pr.html_url,
        labels=tuple(label.name for label in pr.labels) or labels,
        draft=bool(pr.draft),
        created_at=pr.created_at,
        auto_merge=pr.auto_merge is not None,
        node_id=pr.node_id or "",
    )


def head_repo(pr: PullRequest) -> Repository | None:
    """The repository of a PR's head branch (None when the fork was deleted)."""
    return cast("Repository | None", pr.head.repo)
