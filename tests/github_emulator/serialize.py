"""GitHub-shaped JSON for emulator objects; every URL is built from the request's own root."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .gitstore import CommitData, Person, TreeEntry
from .state import CheckRun, Comment, CommitStatus, Issue, Label, Repo, Store, User, iso

JSON = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    """URL roots for one request: ``api`` includes the prefix (``http://host:port/api/v3``)."""

    api: str
    html: str

    def repo(self, repo: Repo) -> str:
        """Canonical API URL of a repository."""
        return f"{self.api}/repos/{repo.full_name}"


def user_json(urls: Urls, user: User) -> JSON:
    """A simple user object."""
    return {
        "login": user.login,
        "id": user.id,
        "node_id": f"U_{user.id}",
        "type": user.type,
        "site_admin": False,
        "url": f"{urls.api}/users/{user.login}",
        "html_url": f"{urls.html}/{user.login}",
        "repos_url": f"{urls.api}/users/{user.login}/repos",
    }


def full_user_json(urls: Urls, user: User) -> JSON:
    """``GET /user`` and ``GET /users/{u}`` body."""
    return {**user_json(urls, user), "name": user.name, "email": user.email}


def repo_json(urls: Urls, store: Store, repo: Repo) -> JSON:
    """A repository object (same shape for single and list responses)."""
    api = urls.repo(repo)
    owner = store.ensure_user(repo.owner)
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user_json(urls, owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "fork": repo.fork,
        "archived": repo.archived,
        "disabled": False,
        "default_branch": repo.default_branch,
        # Moves with every push to any branch, one-second resolution (octokit/fixtures
        # get-repository: "pushed_at": "2017-12-27T14:49:58Z"; docs.github.com "Get a
        # repository"), so the repository's ETag changes with every push.
        "pushed_at": iso(repo.git.pushed_at),
        "url": api,
        "html_url": f"{urls.html}/{repo.full_name}",
        "clone_url": f"{urls.html}/{repo.full_name}.git",
        "pulls_url": f"{api}/pulls{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        # The repository's merge settings (octokit/fixtures get-repository and PyGithub
        # tests/ReplayData record allow_auto_merge, delete_branch_on_merge, allow_*_merge).
        "allow_merge_commit": repo.allow_merge_commit,
        "allow_squash_merge": repo.allow_squash_merge,
        "allow_rebase_merge": repo.allow_rebase_merge,
        "allow_auto_merge": repo.allow_auto_merge,
        "delete_branch_on_merge": repo.delete_branch_on_merge,
        "permissions": {
            "admin": True,
            "maintain": True,
            "push": True,
            "triage": True,
            "pull": True,
        },
    }


def person_json(person: Person) -> JSON:
    """Git author/committer."""
    return {"name": person.name, "email": person.email, "date": person.iso()}


def git_commit_json(urls: Urls, repo: Repo, commit: CommitData) -> JSON:
    """Git Data API commit (``/git/commits/{sha}``)."""
    api = urls.repo(repo)
    return {
        "sha": commit.sha,
        "node_id": f"C_{commit.sha}",
        "url": f"{api}/git/commits/{commit.sha}",
        "html_url": f"{urls.html}/{repo.full_name}/commit/{commit.sha}",
        "author": person_json(commit.author),
        "committer": person_json(commit.committer),
        "message": commit.message,
        "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
        "parents": [
            {
                "sha": p,
                "url": f"{api}/git/commits/{p}",
                "html_url": f"{urls.html}/{repo.full_name}/commit/{p}",
            }
            for p in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
        },
    }


def commit_json(urls: Urls, store: Store, repo: Repo, commit: CommitData) -> JSON:
    """REST commit (``/commits``, branch ``commit``, compare ``commits[]``)."""
    api = urls.repo(repo)

    def account(person: Person) -> JSON | None:
        login = store.login_for_email(person.email)
        found = store.user(login) if login else None
        return user_json(urls, found) if found else None

    git_part = git_commit_json(urls, repo, commit)
    git_part["url"] = f"{api}/git/commits/{commit.sha}"
    return {
        "sha": commit.sha,
        "node_id": f"C_{commit.sha}",
        "url": f"{api}/commits/{commit.sha}",
        "html_url": f"{urls.html}/{repo.full_name}/commit/{commit.sha}",
        "commit": {k: git_part[k] for k in ("author", "committer", "message", "tree", "url")},
        "author": account(commit.author),
        "committer": account(commit.committer),
        "parents": [{"sha": p, "url": f"{api}/commits/{p}"} for p in commit.parents],
    }


def tree_json(urls: Urls, repo: Repo, sha: str, entries: list[TreeEntry]) -> JSON:
    """Git tree (``/git/trees/{sha}``)."""
    api = urls.repo(repo)
    items = []
    for e in entries:
        item: JSON = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.type == "blob":
            item["size"] = e.size
            item["url"] = f"{api}/git/blobs/{e.sha}"
        elif e.type == "tree":
            item["url"] = f"{api}/git/trees/{e.sha}"
        items.append(item)
    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": items, "truncated": False}


def blob_json(urls: Urls, repo: Repo, sha: str, data: bytes) -> JSON:
    """Git blob, base64 wrapped at 60 columns like GitHub."""
    encoded = base64.b64encode(data).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    return {
        "sha": sha,
        "node_id": f"B_{sha}",
        "size": len(data),
        "url": f"{urls.repo(repo)}/git/blobs/{sha}",
        "content": wrapped + "\n" if wrapped else "",
        "encoding": "base64",
    }


def ref_json(urls: Urls, repo: Repo, ref: str, sha: str) -> JSON:
    """Git reference; ``url`` is the plural ``/git/refs/...`` form PyGithub edits through."""
    api = urls.repo(repo)
    return {
        "ref": ref,
        "node_id": f"REF_{repo.id}_{ref}",
        "url": f"{api}/git/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
    }


def label_json(urls: Urls, repo: Repo, label: Label) -> JSON:
    """A label."""
    return {
        "id": label.id,
        "node_id": f"L_{label.id}",
        "url": f"{urls.repo(repo)}/labels/{label.name}",
        "name": label.name,
        "color": label.color,
        "description": label.description,
        "default": False,
    }


def comment_json(urls: Urls, store: Store, repo: Repo, comment: Comment) -> JSON:
    """An issue comment."""
    api = urls.repo(repo)
    return {
        "id": comment.id,
        "node_id": f"IC_{comment.id}",
        "url": f"{api}/issues/comments/{comment.id}",
        "html_url": f"{urls.html}/{repo.full_name}/pull/{comment.number}#issuecomment-{comment.id}",
        "issue_url": f"{api}/issues/{comment.number}",
        "body": comment.body,
        "user": user_json(urls, store.ensure_user(comment.user)),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.created_at),
    }


def issue_json(urls: Urls, store: Store, repo: Repo, issue: Issue) -> JSON:
    """An issue (a PR seen through the issues API carries ``pull_request``)."""
    api = urls.repo(repo)
    body: JSON = {
        "id": store_id(repo, issue),
        "node_id": f"I_{repo.id}_{issue.number}",
        "number": issue.number,
        "url": f"{api}/issues/{issue.number}",
        "html_url": f"{urls.html}/{repo.full_name}/issues/{issue.number}",
        "comments_url": f"{api}/issues/{issue.number}/comments",
        "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "locked": False,
        "user": user_json(urls, store.ensure_user(issue.user)),
        "labels": [label_json(urls, repo, repo.labels[n.lower()]) for n in issue.labels],
        "assignees": [user_json(urls, store.ensure_user(a)) for a in issue.assignees],
        "assignee": user_json(urls, store.ensure_user(issue.assignees[0]))
        if issue.assignees
        else None,
        "comments": len(issue.comments),
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at),
    }
    if issue.is_pull:
        body["pull_request"] = {
            "url": f"{api}/pulls/{issue.number}",
            "html_url": f"{urls.html}/{repo.full_name}/pull/{issue.number}",
            "merged_at": iso(issue.merged_at),
        }
    return body


def store_id(repo: Repo, issue: Issue) -> int:
    """A stable numeric id for an issue/PR."""
    return repo.id * 100_000 + issue.number


def pull_json(urls: Urls, store: Store, repo: Repo, pr: Issue, *, full: bool) -> JSON:
    """A pull request; list items (``full=False``) omit ``merged`` like GitHub does."""
    api = urls.repo(repo)
    head_sha = repo.git.branch_sha(pr.head_ref) or pr.last_head_sha
    base_sha = repo.git.branch_sha(pr.base_ref) or pr.last_base_sha
    issue = issue_json(urls, store, repo, pr)
    repo_body = repo_json(urls, store, repo)
    owner = user_json(urls, store.ensure_user(repo.owner))
    body: JSON = {
        **{k: issue[k] for k in ("id", "number", "title", "body", "state", "locked")},
        "node_id": pull_node_id(repo, pr),
        **{k: issue[k] for k in ("user", "labels", "assignees", "assignee")},
        **{k: issue[k] for k in ("created_at", "updated_at", "closed_at")},
        "url": f"{api}/pulls/{pr.number}",
        "html_url": f"{urls.html}/{repo.full_name}/pull/{pr.number}",
        "issue_url": f"{api}/issues/{pr.number}",
        "comments_url": f"{api}/issues/{pr.number}/comments",
        "commits_url": f"{api}/pulls/{pr.number}/commits",
        "draft": pr.draft,
        # list items and single pull requests both carry auto_merge: null or the object
        # google/go-github#1881 records (enabled_by, merge_method, commit_title, commit_message)
        "auto_merge": auto_merge_json(urls, store, pr),
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "requested_reviewers": [
            user_json(urls, store.ensure_user(r)) for r in pr.requested_reviewers
        ],
        "requested_teams": [],
        "head": {
            "label": f"{pr.head_owner}:{pr.head_ref}",
            "ref": pr.head_ref,
            "sha": head_sha,
            "user": owner,
            "repo": repo_body,
        },
        "base": {
            "label": f"{repo.owner}:{pr.base_ref}",
            "ref": pr.base_ref,
            "sha": base_sha,
            "user": owner,
            "repo": repo_body,
        },
    }
    if full:
        body.update(
            merged=pr.merged_at is not None,
            mergeable=None,
            mergeable_state="unknown",
            comments=len(pr.comments),
            maintainer_can_modify=False,
        )
    return body


def pull_node_id(repo: Repo, pr: Issue) -> str:
    """The GraphQL id of a pull request (``PR_…``, as GitHub's ``node_id``)."""
    return f"PR_{repo.id}_{pr.number}"


def auto_merge_json(urls: Urls, store: Store, pr: Issue) -> JSON | None:
    """A pull request's ``auto_merge`` (None when auto-merge is off)."""
    auto = pr.auto_merge
    if auto is None:
        return None
    return {
        "enabled_by": user_json(urls, store.ensure_user(auto.enabled_by)),
        "merge_method": auto.merge_method,
        "commit_title": auto.commit_title,
        "commit_message": auto.commit_message,
    }


def status_json(urls: Urls, store: Store, repo: Repo, status: CommitStatus) -> JSON:
    """A commit status (PyGithub tests/ReplayData/Commit.testCreateStatusWithAllParameters.txt)."""
    return {
        "url": f"{urls.repo(repo)}/statuses/{status.sha}",
        "id": status.id,
        "node_id": f"SC_{status.id}",
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": iso(status.created_at),
        "updated_at": iso(status.created_at),
        "creator": user_json(urls, store.ensure_user(status.creator)),
    }


def check_run_json(urls: Urls, repo: Repo, run: CheckRun) -> JSON:
    """A check run (PyGithub tests/ReplayData/CheckRun.testGetCheckRunsForRef.txt)."""
    api = urls.repo(repo)
    completed = run.status == "completed"
    return {
        "id": run.id,
        "node_id": f"CR_{run.id}",
        "head_sha": run.sha,
        "external_id": "",
        "url": f"{api}/check-runs/{run.id}",
        "html_url": f"{urls.html}/{repo.full_name}/runs/{run.id}",
        "details_url": f"{urls.html}/{repo.full_name}/runs/{run.id}",
        "status": run.status,
        "conclusion": run.conclusion if completed else None,
        "started_at": iso(run.started_at),
        "completed_at": iso(run.started_at) if completed else None,
        "output": {"title": None, "summary": None, "text": None, "annotations_count": 0},
        "name": run.name,
        "check_suite": {"id": run.id},
        "app": {"id": 15368, "slug": run.app, "name": run.app},
        "pull_requests": [],
    }
