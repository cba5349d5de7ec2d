"""Run a composite action's ``run:`` steps locally, the way a GitHub runner would.

``${{ inputs.* }}``, ``${{ github.action_path }}`` and ``${{ runner.temp }}`` are substituted in
each step's ``env:`` (the scripts themselves use only environment variables); any other
expression is an error, so a new one cannot slip in untested. ``uses:`` steps are skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@dataclass(frozen=True)
class StepResult:
    """One executed step."""

    name: str
    returncode: int
    stdout: str
    stderr: str


def _substitute(value: str, context: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in context:
            raise AssertionError(f"unsupported expression ${{{{ {key} }}}}")
        return context[key]

    return _EXPR.sub(replace, value)


def run_action(
    action: Mapping[str, Any],
    action_path: Path,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    temp: Path,
    env: Mapping[str, str],
) -> list[StepResult]:
    """Execute the ``run`` steps in order (stopping at the first failure)."""
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"inputs the action does not declare: {unknown}"
    context = {
        "github.action_path": str(action_path),
        "github.repository": env.get("GITHUB_REPOSITORY", ""),
        "github.token": env.get("GITHUB_TOKEN", ""),
        "runner.temp": str(temp),
    }
    for name, spec in action["inputs"].items():
        value = inputs.get(name, str(spec.get("default", "")))
        context[f"inputs.{name}"] = value if name in inputs else _substitute(value, context)
    results = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step.get("shell") == "bash", "composite run steps must name their shell"
        step_env = {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
        script = temp / f"step-{len(results)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={**os.environ, **env, **step_env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        results.append(StepResult(step.get("name", ""), done.returncode, done.stdout, done.stderr))
        if done.returncode != 0:
            break
    return results
