"""Where local SARIF results point: relative to the git top level, or to PATH with a base id.

GitHub code scanning resolves an ``artifactLocation.uri`` against the repository root. A
PATH inside a git work tree (a directory holding ``.git``, a directory or, for worktrees and
submodules, a file) therefore gives ``<PATH relative to the top level>/<path>``; a PATH outside
any repository gives ``<path>`` with ``uriBaseId`` ``PATH`` (``PATH2`` ...) mapped to PATH's
``file://`` URI. No git command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.models import RunReport
from bot.report.sarif import SarifBase

__all__ = ["git_top_level", "sarif_bases"]


def git_top_level(path: Path) -> Path | None:
    """The nearest directory at or above ``path`` that holds ``.git``, else None."""
    start = path.resolve()
    for directory in [start, *start.parents] if start.is_dir() else start.parents:
        if (directory / ".git").exists():
            return directory
    return None


def _base(root: Path, index: int) -> SarifBase:
    resolved = root.resolve()
    is_file = not resolved.is_dir()
    directory = resolved.parent if is_file else resolved
    exact = resolved.name if is_file else None  # a file PATH (perhaps a link): its real name
    top = git_top_level(directory)
    if top is not None:
        inside = directory.relative_to(top).as_posix()
        prefix = "" if inside == "." else f"{inside}/"
        return SarifBase(prefix=prefix, exact=f"{prefix}{exact}" if exact else None)
    name = "PATH" if index == 0 else f"PATH{index + 1}"
    return SarifBase(base_id=name, base_uri=directory.as_uri() + "/", exact=exact)


def sarif_bases(report: RunReport, roots: Sequence[Path]) -> dict[str, SarifBase]:
    """The base of every local path in ``report``: the first PATH argument that has it."""
    candidates = [(root, _base(root, i)) for i, root in enumerate(roots)]
    paths = {u.path for u in report.updates if u.repo is None}
    paths |= {e.path for e in report.errors if e.repo is None}
    paths |= {f.path for f in report.findings if f.repo is None}
    bases: dict[str, SarifBase] = {}
    for path in sorted(paths):
        for root, base in candidates:
            if (base.exact and root.name == path) or (not base.exact and (root / path).exists()):
                bases[path] = base
                break
        else:
            if candidates:
                bases[path] = replace(candidates[0][1], exact=None)
    return bases
