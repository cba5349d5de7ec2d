"""Git plumbing over one bare repository (subprocess ``git``), used by the GitHub emulator.

Only plumbing commands are used (``hash-object``, ``read-tree``/``update-index``/``write-tree`` on a
throwaway index, ``commit-tree``, ``update-ref``, ``cat-file``, ``ls-tree``, ``rev-list``,
``merge-base``, ``merge-tree``) so that the repositories hold real, inspectable history.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ZERO_SHA = "0" * 40


class GitFailure(Exception):
    """A git command failed (the emulator maps it to a 422 or 404)."""


@dataclass(frozen=True)
class Person:
    """Author or committer of a commit."""

    name: str
    email: str
    date: datetime

    def git_date(self) -> str:
        """The date in git's internal ``<epoch> +0000`` form."""
        return f"{int(self.date.timestamp())} +0000"

    def iso(self) -> str:
        """The date the way GitHub prints it."""
        return self.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CommitData:
    """A parsed commit object."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class TreeEntry:
    """One line of ``git ls-tree -l``."""

    mode: str
    type: str
    sha: str
    size: int | None
    path: str


def _parse_person(value: str) -> Person:
    name, _, rest = value.partition(" <")
    email, _, stamp = rest.partition("> ")
    epoch = int(stamp.split(" ")[0])
    return Person(name, email, datetime.fromtimestamp(epoch, tz=UTC))


class GitRepo:
    """One bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._batch: subprocess.Popen[bytes] | None = None
        #: When a ref last moved (GitHub's ``pushed_at``: any push to any branch moves it).
        self.pushed_at = datetime.now(tz=UTC)

    def close(self) -> None:
        """Stop the persistent ``cat-file --batch`` reader."""
        if self._batch is not None:
            assert self._batch.stdin is not None
            assert self._batch.stdout is not None
            self._batch.stdin.close()
            self._batch.wait(timeout=5)
            self._batch.stdout.close()
            self._batch = None

    def _cat(self, name: str) -> tuple[str, bytes] | None:
        """``(type, content)`` of an object through one long-lived ``git cat-file --batch``."""
        if "\n" in name or not name:
            return None
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "--git-dir", str(self.path), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self._env(None),
            )
        assert self._batch.stdin is not None
        assert self._batch.stdout is not None
        self._batch.stdin.write(name.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().decode().split()
        if len(header) != 3:
            return None
        data = self._batch.stdout.read(int(header[2]) + 1)[:-1]
        return header[1], data

    def _env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
        }
        if env:
            full_env.update(env)
        return full_env

    @classmethod
    def init(cls, path: Path, default_branch: str) -> GitRepo:
        """Create an empty bare repository whose HEAD names ``default_branch``: a copy of one
        ``git init --bare`` made once per directory and branch name (thousands of repositories
        for the organisation-scale benchmark, without a git process each)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        template = path.parent / f".template-{default_branch.replace('/', '_')}.git"
        if not template.is_dir():
            scratch = Path(tempfile.mkdtemp(prefix=".template-", dir=path.parent))
            subprocess.run(
                ["git", "init", "--bare", "-q", "--template=",
                 f"--initial-branch={default_branch}", str(scratch / "repo.git")],
                check=True,
                capture_output=True,
            )  # fmt: skip
            try:
                (scratch / "repo.git").rename(template)
            except OSError:  # another thread made it first
                shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(template, path)
        return cls(path)

    def write_object(self, kind: str, content: bytes) -> str:
        """Write a loose object as ``git hash-object -w`` does (no subprocess); its sha."""
        data = f"{kind} {len(content)}\0".encode() + content
        sha = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        target = self.path / "objects" / sha[:2] / sha[2:]
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            scratch = target.with_name(f"{sha[2:]}.{os.getpid()}.{threading.get_ident()}.tmp")
            scratch.write_bytes(zlib.compress(data))
            os.replace(scratch, target)
        return sha

    def seed(self, branch: str, files: Mapping[str, bytes], message: str, person: Person) -> str:
        """The first commit of an empty repository (``files`` at nested paths, mode 100644),
        written as loose objects without a git process; ``branch`` points at it."""
        root: dict[str, Any] = {}
        for path, content in files.items():
            *dirs, name = path.split("/")
            node = root
            for part in dirs:
                node = node.setdefault(part, {})
            node[name] = self.write_object("blob", content)

        def tree(node: dict[str, Any]) -> str:
            entries = []
            for name, value in node.items():
                if isinstance(value, dict):
                    entries.append((f"{name}/", b"40000 " + name.encode(), tree(value)))
                else:
                    entries.append((name, b"100644 " + name.encode(), value))
            body = b"".join(head + b"\0" + bytes.fromhex(sha) for _, head, sha in sorted(entries))
            return self.write_object("tree", body)

        signature = f"{person.name} <{person.email}> {person.git_date()}"
        # The message exactly as given, as ``commit_tree`` (``git commit-tree`` reading stdin) stores it.
        commit = f"tree {tree(root)}\nauthor {signature}\ncommitter {signature}\n\n{message}"
        sha = self.write_object("commit", commit.encode())
        ref = self.path / "refs" / "heads" / branch
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(f"{sha}\n")
        self.pushed_at = datetime.now(tz=UTC)
        return sha

    def git(
        self, *args: str, data: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        """Run one git command in the repository; raise :class:`GitFailure` on non-zero exit."""
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=data,
            capture_output=True,
            env=self._env(env),
            check=False,
        )
        if proc.returncode != 0:
            raise GitFailure(f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    # objects -----------------------------------------------------------------------------------
    def write_blob(self, data: bytes) -> str:
        """Store bytes as a blob and return its sha."""
        return self.git("hash-object", "-w", "--stdin", data=data).decode().strip()

    def object_type(self, sha: str) -> str | None:
        """``blob``/``tree``/``commit``/``tag`` or None when the object does not exist."""
        found = self._cat(sha)
        return found[0] if found else None

    def read_blob(self, sha: str) -> bytes:
        """The content of a blob."""
        found = self._cat(sha)
        if found is None or found[0] != "blob":
            raise GitFailure(f"no blob {sha}")
        return found[1]

    def read_commit(self, sha: str) -> CommitData:
        """Parse a commit object."""
        found = self._cat(sha)
        if found is None or found[0] != "commit":
            raise GitFailure(f"no commit {sha}")
        raw = found[1].decode("utf-8", errors="replace")
        header, _, message = raw.partition("\n\n")
        tree = ""
        parents: list[str] = []
        author = committer = None
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = _parse_person(value)
            elif key == "committer":
                committer = _parse_person(value)
        assert author is not None
        assert committer is not None
        return CommitData(sha, tree, tuple(parents), author, committer, message)

    def ls_tree(self, treeish: str, *, recursive: bool) -> list[TreeEntry]:
        """Entries of a tree (recursive listings include the sub-trees themselves)."""
        args = ["ls-tree", "-l", "-z", *(["-r", "-t"] if recursive else []), treeish]
        entries = []
        for record in self.git(*args).split(b"\0"):
            if not record:
                continue
            meta, _, path = record.decode("utf-8", errors="surrogateescape").partition("\t")
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(mode, kind, sha, None if size == "-" else int(size), path))
        return entries

    def build_tree(
        self, base_tree: str | None, changes: Mapping[str, tuple[str, str] | None]
    ) -> str:
        """Write a tree: ``base_tree`` with ``changes`` (path → (mode, blob sha), None deletes)."""
        fd, index = tempfile.mkstemp(prefix="index-", dir=self.path)
        os.close(fd)
        os.unlink(index)
        env = {"GIT_INDEX_FILE": index}
        try:
            if base_tree:
                self.git("read-tree", base_tree, env=env)
            else:
                self.git("read-tree", "--empty", env=env)
            lines = []
            for path, change in changes.items():
                if change is None:
                    lines.append(f"0 {ZERO_SHA}\t{path}\n")
                else:
                    lines.append(f"{change[0]} {change[1]}\t{path}\n")
            if lines:
                self.git("update-index", "--index-info", data="".join(lines).encode(), env=env)
            return self.git("write-tree", env=env).decode().strip()
        finally:
            if os.path.exists(index):
                os.unlink(index)

    def commit_tree(
        self, tree: str, parents: Sequence[str], message: str, author: Person, committer: Person
    ) -> str:
        """Write a commit object and return its sha."""
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": author.git_date(),
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": committer.git_date(),
        }
        return self.git(*args, data=message.encode(), env=env).decode().strip()

    # refs --------------------------------------------------------------------------------------
    def resolve(self, ref: str) -> str | None:
        """The commit sha a ref or sha names, or None."""
        try:
            out = self.git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
        except GitFailure:
            return None
        return out.decode().strip() or None

    def branch_sha(self, branch: str) -> str | None:
        """Head commit of ``refs/heads/<branch>`` or None (loose refs read directly: no subprocess)."""
        loose = self.path / "refs" / "heads" / branch
        if ".." not in branch and loose.is_file():
            return loose.read_text().strip() or None
        return self.resolve(f"refs/heads/{branch}")

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """All refs under ``prefix`` → sha, sorted by name."""
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix).decode()
        pairs = (line.split(" ", 1) for line in out.splitlines() if line)
        return dict(sorted((name, sha) for name, sha in pairs))

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        """Move (or create) a ref; with ``old`` the update is a compare-and-swap."""
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        self.git(*args)
        self.pushed_at = datetime.now(tz=UTC)

    def delete_ref(self, ref: str) -> None:
        """Delete a ref."""
        self.git("update-ref", "-d", ref)
        self.pushed_at = datetime.now(tz=UTC)

    # history -----------------------------------------------------------------------------------
    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when ``ancestor`` is reachable from ``descendant``."""
        try:
            self.git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitFailure:
            return False
        return True

    def rev_list(self, head: str, exclude: str | None = None, path: str | None = None) -> list[str]:
        """Commits reachable from ``head`` (newest first), minus those reachable from ``exclude``."""
        args = ["rev-list", head]
        if exclude:
            args.append(f"^{exclude}")
        if path:
            args += ["--", path]
        return self.git(*args).decode().split()

    def merge_trees(self, ours: str, theirs: str) -> str | None:
        """Tree of a three-way merge of two commits, or None on conflict."""
        try:
            out = self.git("merge-tree", "--write-tree", ours, theirs)
        except GitFailure:
            return None
        return out.decode().split()[0]

    def changed_paths(self, old: str, new: str) -> list[tuple[str, str, str]]:
        """``(status letter, path, blob sha at new)`` for every path that differs between two commits."""
        out = self.git("diff-tree", "-r", "-z", "--no-renames", "--raw", old, new)
        parts = [p.decode("utf-8", errors="surrogateescape") for p in out.split(b"\0") if p]
        changes = []
        for meta, path in zip(parts[0::2], parts[1::2], strict=True):
            _old_mode, _new_mode, _old_sha, new_sha, status = meta.lstrip(":").split()
            changes.append((status, path, new_sha))
        return changes
