"""Run a composite action's ``run:`` steps locally, the way a GitHub runner would.

``${{ inputs.* }}``, ``${{ github.action_path }}``, ``${{ runner.temp }}``,
``${{ runner.tool_cache }}`` and ``${{ steps.<id>.outputs.<name> }}`` are substituted in each
step's ``env:`` (the scripts themselves use only environment variables); any other expression is
an error, so a new one cannot slip in untested. A step's ``if:`` may compare one of these with a
quoted string (``inputs.runtime == 'image'``, ``!=``), optionally after ``always() &&`` (such
a step runs after a failed one on a runner; here, where ``uses:`` steps are skipped anyway, it is
evaluated like the others); a step whose condition is false is not run, as on a runner. ``uses:`` steps are skipped: their outputs are
empty (a cache miss, for instance), as ``uses_outputs`` may say otherwise. Outputs a ``run``
step writes to ``$GITHUB_OUTPUT`` become ``steps.<id>.outputs.*`` of the later steps.
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
_CONDITION = re.compile(r"\s*(always\(\)\s*&&\s*)?([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*")
#: Variables every runner sets.
RUNNER_ENV = {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"}


class _Defaulting(dict[str, str]):
    """Step outputs never written are empty, as on a runner."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class ActionRun:
    """The executed steps and the action's ``outputs`` (from its steps' outputs)."""

    steps: list[StepResult]
    outputs: dict[str, str]

    @property
    def codes(self) -> list[int]:
        """Exit code of each executed step."""
        return [step.returncode for step in self.steps]


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
    uses_outputs: Mapping[str, Mapping[str, str]] | None = None,
    private: bool = False,
) -> ActionRun:
    """Execute the ``run`` steps in order (stopping at the first failure)."""
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"inputs the action does not declare: {unknown}"
    context = {
        "github.action_path": str(action_path),
        "github.repository": env.get("GITHUB_REPOSITORY", ""),
        "github.token": env.get("GITHUB_TOKEN", ""),
        # The event payload's repository (present on schedule events too: GitHub changelog
        # 2022-09-27, "additional information available in github.event payload for scheduled
        # workflow runs"); "true" for a private repository.
        "github.event.repository.private": "true" if private else "false",
        "runner.temp": str(temp),
        "runner.tool_cache": str(temp / "tool-cache"),
    }
    for name, spec in action["inputs"].items():
        value = inputs.get(name, str(spec.get("default", "")))
        context[f"inputs.{name}"] = value if name in inputs else _substitute(value, context)
    results = []
    for step in action["runs"]["steps"]:
        if "if" in step and not _condition(str(step["if"]), context):
            continue
        declared = _declared_outputs(action, step.get("id"))
        if "run" not in step:
            given = (uses_outputs or {}).get(step.get("id", ""), {})
            for name in declared | set(given):
                context[f"steps.{step.get('id')}.outputs.{name}"] = given.get(name, "")
            continue
        assert step.get("shell") == "bash", "composite run steps must name their shell"
        step_env = {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
        script = temp / f"step-{len(results)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        output = temp / f"step-{len(results)}.out"
        output.write_text("", encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={**RUNNER_ENV, **os.environ, **env, **step_env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        written = output.read_text(encoding="utf-8")
        for name in declared:  # an output the step did not write is empty, as on a runner
            context[f"steps.{step.get('id')}.outputs.{name}"] = ""
        for line in written.splitlines():
            name, sep, value = line.partition("=")
            if sep and step.get("id"):
                context[f"steps.{step['id']}.outputs.{name}"] = value
        results.append(StepResult(step.get("name", ""), done.returncode, done.stdout, done.stderr))
        if done.returncode != 0:
            break
    outputs = {
        name: _substitute(str(spec.get("value", "")), _Defaulting(context))
        for name, spec in action.get("outputs", {}).items()
    }
    return ActionRun(results, {k: v for k, v in outputs.items() if v})


def _condition(text: str, context: Mapping[str, str]) -> bool:
    """The value of an ``if:`` of the one supported form (GitHub compares strings
    case-insensitively: docs.github.com, "Evaluate expressions in workflows and actions")."""
    match = _CONDITION.fullmatch(text)
    assert match is not None, f"unsupported condition {text!r}"
    _, key, operator, literal = match.groups()
    assert key in context, f"unsupported expression {key!r} in a condition"
    equal = context[key].casefold() == literal.casefold()
    return equal if operator == "==" else not equal


def _declared_outputs(action: Mapping[str, Any], step_id: str | None) -> set[str]:
    """Output names other steps read from step ``step_id`` (``steps.<id>.outputs.<name>``)."""
    if not step_id:
        return set()
    text = str(action)
    return set(re.findall(rf"steps\.{re.escape(step_id)}\.outputs\.([\w-]+)", text))
