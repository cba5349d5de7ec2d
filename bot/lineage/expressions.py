"""The few GitHub Actions ``${{ }}`` expressions a build workflow's image names use (pure).

``env.NAME`` (from the step's, job's or workflow's literal ``env:``), ``github.repository``
and ``github.repository_owner`` are known before the workflow runs; anything else (matrix
values, secrets, step outputs other than those handled by the caller) is not, and leaves the
value unresolved rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_ENV = re.compile(r"env\.([A-Za-z_][A-Za-z0-9_]*)")


def resolve(text: str, env: Mapping[str, str], repo: str | None) -> str | None:
    """``text`` with its expressions substituted, or None when one of them is not known."""
    unknown = False

    def one(match: re.Match[str]) -> str:
        nonlocal unknown
        expression = match.group(1)
        found = _ENV.fullmatch(expression)
        if found is not None and found.group(1) in env and "${{" not in env[found.group(1)]:
            return env[found.group(1)]
        if repo is not None and expression == "github.repository":
            return repo.lower()
        if repo is not None and expression == "github.repository_owner":
            return repo.partition("/")[0].lower()
        unknown = True
        return ""

    value = _EXPRESSION.sub(one, text)
    return None if unknown else value


def is_expression(text: str) -> bool:
    """Whether ``text`` holds a ``${{ }}`` expression."""
    return _EXPRESSION.search(text) is not None


def step_output(text: str) -> tuple[str, str] | None:
    """``(step id, output)`` when ``text`` is exactly ``${{ steps.<id>.outputs.<name> }}``."""
    found = _EXPRESSION.fullmatch(text.strip())
    if found is None:
        return None
    parts = found.group(1).split(".")
    if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
        return parts[1], parts[3]
    return None
