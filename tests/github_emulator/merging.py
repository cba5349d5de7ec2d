"""Merging as GitHub does it: checks, required checks, merge methods, auto-merge.

* Check states: the latest commit status per context and the latest check run per name of a
  commit. A check run counts as passed when completed with ``success``, ``neutral`` or
  ``skipped``; the combined status is ``failure`` when any context failed or errored, ``pending``
  when there is none or one is pending, else ``success`` (docs.github.com "Get the combined status
  for a specific reference"; PyGithub tests/ReplayData/CommitCombinedStatus.setUp.txt and
  CheckRun.testGetCheckRunsForRef.txt record the shapes).
* Required checks come from rulesets with a ``required_status_checks`` rule on the base branch.
* ``PUT /pulls/{n}/merge`` refuses with 409 "Head branch was modified. Review and try the merge
  again." when ``sha`` is not the head (dlang/dlang-bot#77 quotes the response); with 405
  "Required status check "X" is expected." while a required check has not passed
  (swiftlang/swift#4459, claroline/Distribution#492 record it, ``documentation_url`` the
  protected-branches article); with 405 "Merge commits are not allowed on this repository." (or
  "Squash merges …", "Rebase merges …") for a method the repository disallows
  (bazelbuild/continuous-integration#2178, NielPieterse0/chatgpt-skill#153,
  ridedott/merge-me-action#329); with 405 "Pull Request is not mergeable" for conflicts, closed
  or draft pull requests (claroline/Distribution#492).
* The merge state is GraphQL's ``mergeStateStatus`` (docs.github.com GraphQL enum
  MergeStateStatus): ``dirty`` (conflicts), ``draft``, ``blocked`` (a required check has not
  passed), ``unstable`` (required checks passed, another check is pending or failing), ``clean``.
* Auto-merge (``enablePullRequestAutoMerge``) merges the pull request with the chosen method as
  soon as its required checks pass (docs.github.com "Automatically merging a pull request").
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from .gitstore import Person
from .router import ApiError
from .state import CheckRun, CommitStatus, Issue, Repo, Store, now

PROTECTED_DOCS = "https://docs.github.com/articles/about-protected-branches"
MERGE_DOCS = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"
PASSED_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})
METHOD_REFUSALS = {
    "merge": "Merge commits are not allowed on this repository.",
    "squash": "Squash merges are not allowed on this repository.",
    "rebase": "Rebase merges are not allowed on this repository.",
}


def latest_statuses(repo: Repo, sha: str) -> list[CommitStatus]:
    """The newest status of each context on ``sha`` (newest first)."""
    seen: dict[str, CommitStatus] = {}
    for status in reversed(repo.statuses):
        if status.sha == sha and status.context not in seen:
            seen[status.context] = status
    return list(seen.values())


def latest_check_runs(repo: Repo, sha: str) -> list[CheckRun]:
    """The newest check run of each name on ``sha``."""
    seen: dict[str, CheckRun] = {}
    for run in reversed(repo.check_runs):
        if run.sha == sha and run.name not in seen:
            seen[run.name] = run
    return list(seen.values())


def combined_state(statuses: list[CommitStatus]) -> str:
    """The combined status of a commit's statuses."""
    states = {s.state for s in statuses}
    if states & {"error", "failure"}:
        return "failure"
    if not statuses or "pending" in states:
        return "pending"
    return "success"


def check_states(repo: Repo, sha: str) -> dict[str, str]:
    """Every check of ``sha`` (status context or check-run name) → success, pending or failure."""
    states: dict[str, str] = {}
    for status in latest_statuses(repo, sha):
        states[status.context] = {"error": "failure"}.get(status.state, status.state)
    for run in latest_check_runs(repo, sha):
        if run.status != "completed":
            states[run.name] = "pending"
        else:
            passed = run.conclusion in PASSED_CONCLUSIONS
            states[run.name] = "success" if passed else "failure"
    return states


def required_checks(repo: Repo, branch: str) -> list[str]:
    """Contexts the rulesets on ``branch`` require."""
    required: list[str] = []
    for ruleset in repo.rulesets:
        if "required_status_checks" not in ruleset.rules:
            continue
        if any(fnmatchcase(branch, pattern) for pattern in ruleset.include):
            required += [c for c in ruleset.required_checks if c not in required]
    return required


def merge_state(repo: Repo, pr: Issue) -> str:
    """GraphQL ``mergeStateStatus`` of an open pull request, lower-cased."""
    head = repo.git.branch_sha(pr.head_ref)
    base = repo.git.branch_sha(pr.base_ref)
    if head is None or base is None or repo.git.merge_trees(base, head) is None:
        return "dirty"
    if pr.draft:
        return "draft"
    states = check_states(repo, head)
    required = required_checks(repo, pr.base_ref)
    if any(states.get(context) != "success" for context in required):
        return "blocked"
    if any(state != "success" for name, state in states.items() if name not in required):
        return "unstable"
    return "clean"


def merge(
    store: Store,
    repo: Repo,
    pr: Issue,
    login: str,
    *,
    method: str = "merge",
    sha: str | None = None,
    title: str | None = None,
    message: str | None = None,
) -> str:
    """Merge ``pr`` as ``PUT /pulls/{n}/merge`` does; return the new base-branch head."""
    if pr.state != "open" or pr.draft:
        raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
    head = repo.git.branch_sha(pr.head_ref)
    base = repo.git.branch_sha(pr.base_ref)
    if sha is not None and sha != head:
        raise ApiError(
            409,
            "Head branch was modified. Review and try the merge again.",
            documentation_url=MERGE_DOCS,
        )
    allowed = {
        "merge": repo.allow_merge_commit,
        "squash": repo.allow_squash_merge,
        "rebase": repo.allow_rebase_merge,
    }
    if method not in allowed:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "PullRequest", "field": "merge_method", "code": "invalid"}],
        )
    if not allowed[method]:
        raise ApiError(405, METHOD_REFUSALS[method], documentation_url=MERGE_DOCS)
    if head is None or base is None:
        raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
    states = check_states(repo, head)
    for context in required_checks(repo, pr.base_ref):
        if states.get(context) != "success":
            raise ApiError(
                405,
                f'Required status check "{context}" is expected.',
                documentation_url=PROTECTED_DOCS,
            )
    tree = repo.git.merge_trees(base, head)
    if tree is None:
        raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
    user = store.ensure_user(login)
    person = Person(user.name or user.login, user.email, now())
    if method == "squash":
        subject = title or f"{pr.title} (#{pr.number})"
        new = repo.git.commit_tree(tree, [base], f"{subject}\n\n{message or ''}".rstrip() + "\n",
                                   person, person)  # fmt: skip
    elif method == "rebase":
        new = _rebase(repo, base, head, person)
    else:
        subject = title or f"Merge pull request #{pr.number} from {pr.head_owner}/{pr.head_ref}"
        text = f"{subject}\n\n{message if message is not None else pr.title}"
        new = repo.git.commit_tree(tree, [base, head], text, person, person)
    repo.git.update_ref(f"refs/heads/{pr.base_ref}", new, base)
    pr.last_head_sha = head
    pr.merged_at = pr.closed_at = now()
    pr.merge_commit_sha = new
    pr.state = "closed"
    pr.auto_merge = None
    if repo.delete_branch_on_merge and repo.git.branch_sha(pr.head_ref) == head:
        repo.git.delete_ref(f"refs/heads/{pr.head_ref}")
    return new


def _rebase(repo: Repo, base: str, head: str, committer: Person) -> str:
    """Replay the pull request's commits on ``base`` (each keeps its author and message).

    Each commit is merged onto the replayed history with git's own merge base (the fork point),
    which gives the same trees as a cherry-pick for the single-commit branches the bot makes.
    """
    current = base
    for sha in reversed(repo.git.rev_list(head, exclude=base)):
        commit = repo.git.read_commit(sha)
        if len(commit.parents) > 1:
            continue  # merge commits are not replayed
        tree = repo.git.merge_trees(current, sha)
        if tree is None:
            raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
        current = repo.git.commit_tree(tree, [current], commit.message, commit.author, committer)
    return current


def settle_auto_merges(store: Store, repo: Repo) -> list[int]:
    """Merge every open pull request with auto-merge enabled whose required checks passed;
    returns their numbers (GitHub does this when a check completes)."""
    merged = []
    for pr in repo.pulls():
        if pr.state != "open" or pr.auto_merge is None:
            continue
        if merge_state(repo, pr) not in ("clean", "unstable"):
            continue
        auto = pr.auto_merge
        try:
            merge(store, repo, pr, auto.enabled_by, method=auto.merge_method,
                  title=auto.commit_title, message=auto.commit_message)  # fmt: skip
        except ApiError:
            continue  # e.g. the method was disallowed since: stays enabled, as on GitHub
        merged.append(pr.number)
    return merged
