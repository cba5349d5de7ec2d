"""GitHub App authentication: installation tokens per repository owner, minted and refreshed.

An :class:`AppForge` implements :class:`bot.forge.protocol.Forge` by routing each call to a
:class:`bot.forge.github.GitHubForge` authenticated as the App's installation on the repository's
owner. PyGithub's ``AppInstallationAuth`` mints a token on first use and mints a new one once the
current one is within 20 seconds of expiry. The private key, every App JWT and every installation
token are registered for log masking. With PyGithub's App classes this is the second (and last)
module importing PyGithub.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from github import Auth, GithubException, GithubIntegration
from github.InstallationAuthorization import InstallationAuthorization
from requests import RequestException

from bot.describe.model import Commit
from bot.errors import ConfigError, GitHubError
from bot.forge.github import DEFAULT_API_URL, USE_DEFAULT, GitHubForge
from bot.forge.httpcache import GitHubUsage
from bot.forge.protocol import (
    BotPullRequest,
    BranchCommit,
    BranchState,
    CheckResult,
    Forge,
    IssueRecord,
    MergeResult,
    PathSelector,
    RepoListing,
    RepoSnapshot,
)
from bot.limits import MAX_DOCKERFILE_BYTES
from bot.logsetup import mask, register_secret

logger = logging.getLogger(__name__)

#: ``list_repositories`` owner meaning "every repository of every installation".
ALL_OWNERS = "*"


@dataclass(frozen=True)
class AppCredentials:
    """A GitHub App's id and private key (PEM), optionally pinned to one installation."""

    app_id: int
    private_key: str = field(repr=False)
    installation_id: int | None = None


def load_private_key(env_name: str | None, path: str | None) -> str:
    """The App's PEM private key from the variable ``env_name``, else the file ``path``.

    The key is registered for masking; a missing, unreadable or non-PEM key is a ``ConfigError``.
    """
    if env_name:
        key = os.environ.get(env_name, "")
        if not key.strip():
            raise ConfigError(f"github.private_key_env: environment variable {env_name} is not set")
    elif path:
        try:
            key = Path(path).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise ConfigError(f"github.private_key_file: cannot read {path}: {exc}") from exc
    else:
        raise ConfigError("github.app_id is set: set github.private_key_env or private_key_file")
    register_secret(key)
    register_secret(key.strip())
    if "PRIVATE KEY-----" not in key:
        raise ConfigError("github: the GitHub App private key is not a PEM private key")
    return key


class _MaskedAppAuth(Auth.AppAuth):
    """App JWT auth whose every JWT is registered for log masking."""

    @property
    def token(self) -> str:
        """A fresh JWT (registered as a secret)."""
        value = super().token
        register_secret(value)
        return value

    def get_installation_auth(
        self,
        installation_id: int,
        token_permissions: dict[str, str] | None = None,
        requester: Any = None,
    ) -> Auth.AppInstallationAuth:
        """Installation auth that registers the tokens it mints."""
        return _MaskedInstallationAuth(self, installation_id, token_permissions, requester)


class _MaskedInstallationAuth(Auth.AppInstallationAuth):
    """Installation-token auth (refreshed by PyGithub before expiry) that masks its tokens."""

    def _get_installation_authorization(self) -> InstallationAuthorization:
        authorization = super()._get_installation_authorization()
        register_secret(authorization.token)
        logger.info(
            "GitHub App installation %d: new token, valid until %s",
            self.installation_id,
            authorization.expires_at.isoformat(),
        )
        return authorization


class AppForge:
    """A :class:`Forge` acting as a GitHub App: one installation client per repository owner."""

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        base_url: str | None = None,
        throttle: bool = True,
        retry: Any = USE_DEFAULT,
        timeout: float = 15.0,
        secondary_rate_limit_wait: float = 60.0,
        max_rate_limit_wait: float = 900.0,
        cache_path: Path | None = None,
    ) -> None:
        register_secret(credentials.private_key)
        self._cache_path = cache_path
        self.credentials = credentials
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self._throttle = throttle
        self._retry = retry
        self._timeout = timeout
        self._waits = (secondary_rate_limit_wait, max_rate_limit_wait)
        self._app_auth = _MaskedAppAuth(credentials.app_id, credentials.private_key)
        options: dict[str, Any] = {}
        if not throttle:
            options.update(seconds_between_requests=None, seconds_between_writes=None)
        if retry is not USE_DEFAULT:
            options["retry"] = retry
        self._integration = GithubIntegration(
            auth=self._app_auth, base_url=self.base_url, timeout=max(1, int(timeout)), **options
        )
        self._installations: dict[str, int] | None = None
        self._forges: dict[int, GitHubForge] = {}

    def close(self) -> None:
        """Release HTTP connections."""
        for forge in self._forges.values():
            forge.close()
        self._integration.close()

    # installations -----------------------------------------------------------------------------
    def installations(self) -> Mapping[str, int]:
        """Account login (lower case) → installation id (one ``GET /app/installations``)."""
        if self._installations is None:
            try:
                found = {
                    i.account.login.lower(): i.id for i in self._integration.get_installations()
                }
            except (GithubException, RequestException) as exc:
                raise GitHubError(
                    mask(f"GitHub App {self.credentials.app_id}: list installations failed: {exc}")
                ) from exc
            pinned = self.credentials.installation_id
            if pinned is not None:
                found = {login: iid for login, iid in found.items() if iid == pinned}
                if not found:
                    raise GitHubError(
                        f"github.installation_id: GitHub App {self.credentials.app_id} has no "
                        f"installation {pinned}"
                    )
            self._installations = found
            logger.info("GitHub App %d: %d installations", self.credentials.app_id, len(found))
        return self._installations

    def installation_id(self, owner: str) -> int:
        """The installation serving ``owner`` (``GitHubError`` when the App is not installed)."""
        found = self.installations().get(owner.lower())
        if found is None:
            raise GitHubError(
                f"{owner}: GitHub App {self.credentials.app_id} is not installed on this account"
            )
        return found

    def forge_for(self, owner: str) -> GitHubForge:
        """The client authenticated as the installation on ``owner``."""
        installation = self.installation_id(owner)
        if installation not in self._forges:
            auth = self._app_auth.get_installation_auth(installation)
            self._forges[installation] = GitHubForge(
                auth=auth,
                base_url=self.base_url,
                throttle=self._throttle,
                retry=self._retry,
                timeout=self._timeout,
                installation=installation,
                secondary_rate_limit_wait=self._waits[0],
                max_rate_limit_wait=self._waits[1],
                cache_path=self._cache_path,
            )
        return self._forges[installation]

    def _repo(self, repo: str) -> GitHubForge:
        return self.forge_for(repo.split("/", 1)[0])

    # Forge -------------------------------------------------------------------------------------
    def list_repositories(self, owner: str) -> RepoListing:
        """Repositories the installation on ``owner`` may access (``*``: every installation's);
        archived ones and forks are skipped."""
        owners = sorted(self.installations()) if owner == ALL_OWNERS else [owner]
        names: list[str] = []
        skipped: list[tuple[str, str]] = []
        for login in owners:
            listing = self.forge_for(login).installation_repositories()
            names += listing.names
            skipped += listing.skipped
        if owner != ALL_OWNERS:

            def mine(name: str) -> bool:
                return name.split("/", 1)[0].lower() == owner.lower()

            names = [n for n in names if mine(n)]
            skipped = [s for s in skipped if mine(s[0])]
        return RepoListing(tuple(sorted(dict.fromkeys(names))), tuple(sorted(set(skipped))))

    def read_dockerfiles(
        self,
        repo: str,
        include: Sequence[str],
        ignore: Sequence[str] = (),
        *,
        extra_paths: Sequence[str] = (),
        select: PathSelector | None = None,
        max_bytes: int = MAX_DOCKERFILE_BYTES,
    ) -> RepoSnapshot:
        """See :meth:`GitHubForge.read_dockerfiles`."""
        return self._repo(repo).read_dockerfiles(
            repo, include, ignore, extra_paths=extra_paths, select=select, max_bytes=max_bytes
        )

    def find_bot_pull_requests(self, repo: str, branch_prefix: str) -> list[BotPullRequest]:
        """See :meth:`GitHubForge.find_bot_pull_requests`."""
        return self._repo(repo).find_bot_pull_requests(repo, branch_prefix)

    def commit_files(
        self,
        repo: str,
        branch: str,
        base_sha: str,
        files: Mapping[str, bytes | None],
        message: str,
        *,
        modes: Mapping[str, str] | None = None,
    ) -> str:
        """See :meth:`GitHubForge.commit_files`."""
        return self._repo(repo).commit_files(repo, branch, base_sha, files, message, modes=modes)

    def open_pull_request(
        self,
        repo: str,
        *,
        branch: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
        labels: Sequence[str] = (),
        reviewers: Sequence[str] = (),
        assignees: Sequence[str] = (),
    ) -> BotPullRequest:
        """See :meth:`GitHubForge.open_pull_request`."""
        return self._repo(repo).open_pull_request(
            repo,
            branch=branch,
            base=base,
            title=title,
            body=body,
            draft=draft,
            labels=labels,
            reviewers=reviewers,
            assignees=assignees,
        )

    def update_pull_request(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> BotPullRequest:
        """See :meth:`GitHubForge.update_pull_request`."""
        return self._repo(repo).update_pull_request(repo, number, title=title, body=body)

    def close_pull_request(self, repo: str, number: int, comment: str | None = None) -> None:
        """See :meth:`GitHubForge.close_pull_request`."""
        self._repo(repo).close_pull_request(repo, number, comment)

    def delete_branch(self, repo: str, branch: str) -> bool:
        """See :meth:`GitHubForge.delete_branch`."""
        return self._repo(repo).delete_branch(repo, branch)

    def comment(self, repo: str, number: int, text: str) -> bool:
        """See :meth:`GitHubForge.comment`."""
        return self._repo(repo).comment(repo, number, text)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        """See :meth:`GitHubForge.add_labels`."""
        self._repo(repo).add_labels(repo, number, labels)

    def branch_commits_by_others(self, repo: str, base: str, branch: str) -> list[BranchCommit]:
        """See :meth:`GitHubForge.branch_commits_by_others`."""
        return self._repo(repo).branch_commits_by_others(repo, base, branch)

    def commits_between(
        self, repo: str, old: str, new: str, path: str | None, limit: int = 50
    ) -> list[Commit]:
        """See :meth:`GitHubForge.commits_between`."""
        return self._repo(repo).commits_between(repo, old, new, path, limit)

    def branch_state(self, repo: str, base: str, branch: str) -> BranchState:
        """See :meth:`GitHubForge.branch_state`."""
        return self._repo(repo).branch_state(repo, base, branch)

    def list_branches(self, repo: str, prefix: str) -> dict[str, str]:
        """See :meth:`GitHubForge.list_branches`."""
        return self._repo(repo).list_branches(repo, prefix)

    def fingerprint(self, repo: str) -> str | None:
        """See :meth:`GitHubForge.fingerprint`."""
        return self._repo(repo).fingerprint(repo)

    def usage(self) -> GitHubUsage:
        """Requests and rate-limit points of every installation client (the App's own
        requests for installation tokens are not counted: they use the App's JWT)."""
        total = GitHubUsage()
        for forge in self._forges.values():
            used = forge.usage()
            total = GitHubUsage(total.requests + used.requests, total.points + used.points)
        return total

    def read_file(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """See :meth:`GitHubForge.read_file`."""
        return self._repo(repo).read_file(repo, path, ref)

    def checks(self, repo: str, sha: str) -> tuple[CheckResult, ...]:
        """See :meth:`GitHubForge.checks`."""
        return self._repo(repo).checks(repo, sha)

    def merge_pull_request(
        self, repo: str, number: int, *, sha: str, method: str, title: str | None = None
    ) -> MergeResult:
        """See :meth:`GitHubForge.merge_pull_request`."""
        return self._repo(repo).merge_pull_request(
            repo, number, sha=sha, method=method, title=title
        )

    def set_auto_merge(
        self, repo: str, pull: BotPullRequest, *, enable: bool, method: str = "squash"
    ) -> MergeResult:
        """See :meth:`GitHubForge.set_auto_merge`."""
        return self._repo(repo).set_auto_merge(repo, pull, enable=enable, method=method)

    def find_issues(self, repo: str, marker: str) -> list[IssueRecord]:
        """See :meth:`GitHubForge.find_issues`."""
        return self._repo(repo).find_issues(repo, marker)

    def create_issue(self, repo: str, title: str, body: str, marker: str) -> IssueRecord:
        """See :meth:`GitHubForge.create_issue`."""
        return self._repo(repo).create_issue(repo, title, body, marker)

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> None:
        """See :meth:`GitHubForge.edit_issue`."""
        self._repo(repo).edit_issue(repo, number, title=title, body=body, state=state)


if TYPE_CHECKING:

    def _satisfies_protocol(forge: AppForge) -> Forge:
        return forge  # mypy proves AppForge implements the Forge Protocol
