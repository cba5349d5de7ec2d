"""Mutation testing of the core modules, one module at a time, each against its own test folder.

    python scripts/mutation.py                     # every module in pyproject.toml
    python scripts/mutation.py versioning scan-osv # some of them
    python scripts/mutation.py --list              # the modules and their test folders
    python scripts/mutation.py --report            # the last results again, nothing run

The modules, the files each one mutates and the test folder that must kill its mutants are in
pyproject.toml ([tool.base-image-bot.mutation.modules]); what every run shares is mutmut's own
[tool.mutmut] table. Each module runs in its own copy of the checkout (build/mutation/MODULE), so
runs do not disturb the working tree and a second run reuses mutmut's cache: only functions whose
code changed are mutated again (--fresh starts over). --sample N runs N mutants per module chosen
with a fixed seed, for a quick estimate.

The score is killed / (all - equivalent). A mutant is equivalent when no input can tell it from
the original; each one is listed with the reason in scripts/mutation_equivalents.toml, matched on
its file, function and changed lines (not on mutmut's numbering, which shifts as code changes).
A timeout counts as killed (the tests noticed); "no tests" (no test in the module's folder runs
that function) counts as survived; mutants not run (outside a --sample) are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.toml"
KILLED = frozenset({"killed", "timeout", "segfault", "caught by type check"})
#: Not run (yet): left out of the score and shown in their own column.
UNCOUNTED = frozenset({"not checked", "skipped"})
_RESULT = re.compile(r"^\s+(\S+): (.+)$")
_MUTMUT_TABLE = re.compile(r"^\[tool\.mutmut\]\n(?:(?!\[).*\n)*", re.MULTILINE)


@dataclass(frozen=True)
class Module:
    """One unit of the mutation run: files to mutate and the test folder(s) that must kill them."""

    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Equivalent:
    """A mutant no test can kill because no input tells it from the original."""

    file: str
    function: str
    removed: str
    added: str
    why: str


@dataclass
class Result:
    """One module's outcome."""

    module: Module
    statuses: dict[str, str]
    equivalent: dict[str, str] = field(default_factory=dict)
    survivors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def not_run(self) -> int:
        return sum(1 for status in self.statuses.values() if status in UNCOUNTED)

    @property
    def counted(self) -> int:
        return len(self.statuses) - len(self.equivalent) - self.not_run

    @property
    def killed(self) -> int:
        return sum(1 for status in self.statuses.values() if status in KILLED)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def load_modules() -> dict[str, Module]:
    """The modules of pyproject.toml's [tool.base-image-bot.mutation.modules]."""
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    table = document["tool"]["base-image-bot"]["mutation"]["modules"]
    return {
        name: Module(name, tuple(entry["mutate"]), tuple(entry["tests"]))
        for name, entry in table.items()
    }


def load_equivalents() -> list[Equivalent]:
    """The judged-equivalent mutants."""
    if not EQUIVALENTS.exists():
        return []
    document = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8"))
    return [
        Equivalent(e["file"], e["function"], e["removed"], e["added"], e["why"])
        for e in document.get("equivalent", [])
    ]


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def prepare(module: Module, *, fresh: bool) -> Path:
    """build/mutation/MODULE: the checkout's files (changed ones only) and the module's config."""
    workdir = WORK / module.name
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for name in _tracked_files():
        source, target = ROOT / name, workdir / name
        if name == "pyproject.toml" or (target.exists() and filecmp.cmp(source, target, False)):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    shared = tomllib.loads(pyproject)["tool"]["mutmut"]
    table = {
        **shared,
        "only_mutate": list(module.mutate),
        "pytest_add_cli_args_test_selection": list(module.tests),
    }
    # JSON strings, numbers, booleans and arrays of them are valid TOML values.
    lines = ["[tool.mutmut]", *(f"{key} = {json.dumps(value)}" for key, value in table.items())]
    replacement = "\n".join(lines) + "\n\n"
    text, found = _MUTMUT_TABLE.subn(lambda _: replacement, pyproject)
    if not found:
        raise SystemExit("pyproject.toml has no [tool.mutmut] table")
    target = workdir / "pyproject.toml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return workdir


def _mutmut(workdir: Path, *args: str, may_fail: bool = False) -> str:
    """``mutmut ARGS`` in ``workdir``; its output (``run``'s goes to ``workdir/mutmut.log``)."""
    log = workdir / "mutmut.log"
    with log.open("a", encoding="utf-8") if args[0] == "run" else _nothing() as sink:
        done = subprocess.run(
            [sys.executable, "-m", "mutmut", *args],
            cwd=workdir,
            stdout=sink if sink else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    if done.returncode != 0 and not may_fail:
        detail = (done.stdout or "")[-3000:] if not sink else f"; see {log}"
        raise SystemExit(f"mutmut {args[0]} failed in {workdir} ({done.returncode}){detail}")
    return done.stdout or ""


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield None


def statuses(workdir: Path) -> dict[str, str]:
    """Every mutant's status, from ``mutmut results --all true``."""
    out = _mutmut(workdir, "results", "--all", "true")
    return {m.group(1): m.group(2) for line in out.splitlines() if (m := _RESULT.match(line))}


def _function_of(name: str) -> tuple[str, str]:
    """``bot.a.b.xǁClassǁmethod__mutmut_3`` -> (``bot/a/b.py``, ``Class.method``)."""
    stem = name.rsplit("__mutmut_", 1)[0]
    module, _, mangled = stem.rpartition(".")
    function = mangled.removeprefix("x_").removeprefix("xǁ").replace("ǁ", ".")
    return module.replace(".", "/") + ".py", function


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of a mutant's diff, stripped and joined."""
    removed = [
        line[1:].strip() for line in diff.splitlines() if line.startswith("-") and line[1:2] != "-"
    ]
    added = [
        line[1:].strip() for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+"
    ]
    return "\n".join(removed), "\n".join(added)


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
names = json.load(sys.stdin)
json.dump({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}, sys.stdout)
"""


def diffs(workdir: Path, names: list[str]) -> dict[str, str]:
    """Each mutant's diff (what ``mutmut show`` prints), in one process for all of them."""
    if not names:
        return {}
    done = subprocess.run(
        [sys.executable, "-c", _DIFFS],
        cwd=workdir,
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"reading mutants' diffs failed in {workdir}: {done.stderr[-3000:]}")
    found: dict[str, str] = json.loads(done.stdout)
    return found


def judge(workdir: Path, result: Result, equivalents: list[Equivalent]) -> None:
    """Sort every mutant not killed into equivalent (listed) or survivor (with its diff)."""
    alive = [n for n, s in result.statuses.items() if s not in KILLED and s not in UNCOUNTED]
    for name, diff in diffs(workdir, alive).items():
        file, function = _function_of(name)
        removed, added = changed_lines(diff)
        match = next(
            (
                e
                for e in equivalents
                if (e.file, e.function, e.removed, e.added) == (file, function, removed, added)
            ),
            None,
        )
        if match is not None:
            result.equivalent[name] = match.why
        else:
            result.survivors[name] = f"# {result.statuses[name]}\n{diff}"


def run_module(module: Module, args: argparse.Namespace, equivalents: list[Equivalent]) -> Result:
    """Mutate one module and run its test folder against each mutant."""
    workdir = prepare(module, fresh=args.fresh)
    started = time.monotonic()
    if not args.report:
        names: list[str] = []
        if args.sample:
            # Generate the mutants and collect which tests cover which function first (mutmut has
            # no command for that alone: a run filtered on a name that matches no mutant does
            # both, then stops with an error), then run a fixed sample of the mutants.
            _mutmut(
                workdir, "run", "--max-children", str(args.jobs), "no-such-mutant", may_fail=True
            )
            every = sorted(statuses(workdir))
            names = random.Random(args.seed).sample(every, min(args.sample, len(every)))
        elif args.rerun_survivors:  # the tests changed: run the survivors again, only them
            names = [n for n, s in statuses(workdir).items() if s not in KILLED | UNCOUNTED]
        else:
            # Mutants of new or changed functions (all of them on a first run); earlier results
            # of unchanged functions stand.
            _mutmut(workdir, "run", "--max-children", str(args.jobs))
        if names:
            _mutmut(workdir, "run", "--max-children", str(args.jobs), *names)
    every = statuses(workdir)
    if args.sample:
        chosen = set(random.Random(args.seed).sample(sorted(every), min(args.sample, len(every))))
        every = {n: s for n, s in every.items() if n in chosen}
    result = Result(module, every, seconds=time.monotonic() - started)
    judge(workdir, result, equivalents)
    (workdir / "survivors.txt").write_text(
        "".join(f"## {name}\n{diff}\n" for name, diff in sorted(result.survivors.items())),
        encoding="utf-8",
    )
    return result


def table(results: list[Result]) -> str:
    """The README's table."""
    rows = [
        "| module | test folder | mutants | equivalent | killed | survived | score |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        survived = len(r.survivors)
        ran = len(r.statuses) - r.not_run
        rows.append(
            f"| {r.module.name} | {', '.join(r.module.tests)} | {ran} "
            f"| {len(r.equivalent)} | {r.killed} | {survived} | {r.score:.1f} % |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen modules; exit 1 when one scores below --minimum."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants at once")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--sample", type=int, default=0, help="run N mutants per module")
    parser.add_argument("--seed", type=int, default=19, help="seed of --sample")
    parser.add_argument("--rerun-survivors", action="store_true", help="run survivors again")
    parser.add_argument("--report", action="store_true", help="report the last results only")
    parser.add_argument("--minimum", type=float, default=90.0, help="lowest passing score")
    parser.add_argument("--list", action="store_true", help="list the modules")
    args = parser.parse_args(argv)
    modules = load_modules()
    if args.list:
        for module in modules.values():
            print(f"{module.name}: {' '.join(module.mutate)} <- {' '.join(module.tests)}")
        return 0
    unknown = [name for name in args.modules if name not in modules]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(modules)}")
    equivalents = load_equivalents()
    results = [run_module(modules[name], args, equivalents) for name in args.modules or modules]
    print(table(results))
    for r in results:
        if r.survivors:
            print(
                f"{r.module.name}: {len(r.survivors)} survivors in {WORK / r.module.name}/survivors.txt"
            )
    return 0 if all(r.score >= args.minimum for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
