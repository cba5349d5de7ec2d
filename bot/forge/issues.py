"""Issues for :class:`bot.forge.github.GitHubForge`: the dashboard's reads and writes, and
reading a file (a preset) from a repository.

The bot's issues are found by a hidden marker in their body, among the issues the bot's account
opened (``creator=`` the login ``GET /user`` names; when the token cannot say — an App
installation token or an Action's ``GITHUB_TOKEN`` cannot — among the issues bot accounts
opened: anyone may open an issue with the marker in it, but no person can open one as a
``Bot``). GitHub keeps no uniqueness on issues, so a create whose answer was lost looks again —
also after GitHub's lists had time to catch up — before it is repeated.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from github import GithubException, UnknownObjectException
from github.Issue import Issue

from bot.forge.client import GitHubClient, done
from bot.forge.protocol import IssueRecord
from bot.forge.retry import WRITE_LOCK

logger = logging.getLogger(__name__)

#: Seconds between looks for an issue whose create lost its answer (lists lag behind writes).
FIND_WAITS = (0.0, 1.0, 2.0)
#: Issues read when looking for the bot's own (newest first); older ones are not searched.
MAX_ISSUES_READ = 1000


def to_issue(issue: Issue) -> IssueRecord:
    """The protocol record of a PyGithub issue."""
    return IssueRecord(issue.number, issue.title, issue.body or "", issue.state, issue.html_url)


class GitHubIssues(GitHubClient):
    """Issue reads and writes, file reads (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logins: list[str | None] = []  # the token's login, once asked

    def _login(self) -> str | None:
        """The token's account (None when GitHub does not say, e.g. for installation tokens)."""
        if not self._logins:
            try:
                self._logins.append(self._gh.get_user().login)
            except GithubException as exc:
                logger.debug("no login for this token (%s): issues are not filtered", exc.status)
                self._logins.append(None)
        return self._logins[0]

    def read_file(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """``GET /contents/{path}?ref=``: the file's bytes, or None when there is no such file."""
        with self._step(repo, f"read {path}"):
            r = self._repo(repo)
            try:
                found = r.get_contents(path, ref=ref) if ref else r.get_contents(path)
            except UnknownObjectException:
                return None
            if isinstance(found, list) or found.type != "file":
                return None
            return base64.b64decode(found.content or "")

    def find_issues(self, repo: str, marker: str) -> list[IssueRecord]:
        """Issues (not pull requests) of the bot carrying ``marker``, oldest first."""
        login = self._login()
        options: dict[str, Any] = {"state": "all", "sort": "created", "direction": "desc"}
        if login is not None:
            options["creator"] = login
        found = []
        with self._step(repo, "list issues"):
            for index, issue in enumerate(self._repo(repo).get_issues(**options)):
                if index >= MAX_ISSUES_READ:
                    break
                if login is None and issue.user.type != "Bot":
                    continue  # a person's issue, whatever it says
                if issue.pull_request is None and marker in (issue.body or ""):
                    found.append(to_issue(issue))
        return sorted(found, key=lambda i: i.number)

    def create_issue(self, repo: str, title: str, body: str, marker: str) -> IssueRecord:
        """Open an issue; after a lost answer, look for it (by ``marker``) before repeating."""
        step = "open issue"

        def created() -> IssueRecord | None:
            for wait in FIND_WAITS:
                time.sleep(wait)
                mine = self.find_issues(repo, marker)
                if mine:
                    return mine[0]
            return None

        with self._step(repo, step), WRITE_LOCK:
            issue = self._checked(
                repo, step, lambda: to_issue(self._repo(repo).create_issue(title, body)), created
            )
        logger.info("%s: opened issue #%d", repo, issue.number)
        return issue

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> None:
        """PATCH an issue; after a lost answer, re-read it to see whether it changed."""
        fields: dict[str, Any] = {
            k: v for k, v in (("title", title), ("body", body), ("state", state)) if v
        }
        if not fields:
            return
        step = f"edit issue #{number}"
        with self._step(repo, step), WRITE_LOCK:
            issue = self._repo(repo).get_issue(number)

            def applied() -> bool | None:
                fresh = self._repo(repo).get_issue(number)
                same = all((getattr(fresh, k) or "") == v for k, v in fields.items())
                return True if same else None

            self._checked(repo, step, done(lambda: issue.edit(**fields)), applied)
        logger.info("%s: edited issue #%d", repo, number)
