"""Local write mode loses nothing (``base-image-bot run PATH`` without ``--dry-run``).

* A file edited between the bot's read and its write is left alone, with an error for it.
* Only regular files are read: a FIFO named ``Dockerfile`` cannot hang the run and a character
  device cannot be read without end; both are reported.
* Owner and group are kept; a file with several hard links or a read-only mode is reported and
  not changed; a symbolic link given as PATH is resolved once: its target is rewritten and the
  link stays a link.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    ALPINE_NEW,
    ALPINE_OLD,
    PYTHON_NEW,
    PYTHON_OLD,
    Outcome,
    SeededImages,
    write_tree,
)
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.registry

PYTHON = f"FROM python:{PYTHON_OLD}\nRUN make\n"
ALPINE = f"FROM alpine:{ALPINE_OLD}\n"


def _run(cli: RunCli, seeded: SeededImages, *paths: Path, host: str | None = None) -> Outcome:
    return cli("run", *paths, "--format", "json", "--registry-alias", seeded.alias(host),
               "--insecure-registry", host or seeded.registry.host)  # fmt: skip


def _errors(outcome: Outcome) -> dict[str, str]:
    return {str(e["path"]): str(e["error"]) for e in outcome.records("errors")}


def test_a_file_edited_during_the_run_is_left_alone(
    tmp_path: Path, seeded: SeededImages, proxy: FaultProxy, cli: RunCli
) -> None:
    tree = write_tree(tmp_path / "tree", {"Dockerfile": PYTHON, "svc/Dockerfile": ALPINE})
    held = proxy.inject("GET", seeded.path("python") + "tags/list", action="hold",
                        stall_seconds=20)  # fmt: skip
    result: list[Outcome] = []
    runner = threading.Thread(
        target=lambda: result.append(_run(cli, seeded, tree, host=proxy.host))
    )
    runner.start()
    deadline = time.monotonic() + 20
    while not held.fired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert held.fired, "the run never asked for python's tags"
    edited = PYTHON + "# a human edit while the bot was looking up tags\n"
    (tree / "Dockerfile").write_text(edited)
    held.release.set()
    runner.join(30)
    (outcome,) = result
    assert outcome.code == 1
    assert "changed since it was read; left alone" in _errors(outcome)["Dockerfile"]
    assert (tree / "Dockerfile").read_text() == edited
    assert (tree / "svc/Dockerfile").read_text() == f"FROM alpine:{ALPINE_NEW}\n"
    assert [p.name for p in tree.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_a_fifo_and_a_device_are_reported_not_read(
    tmp_path: Path, seeded: SeededImages, cli: RunCli
) -> None:
    tree = write_tree(tmp_path / "tree", {"Dockerfile": PYTHON})
    os.mkfifo(tree / "app.Dockerfile")
    lone_fifo = tmp_path / "Containerfile"
    os.mkfifo(lone_fifo)
    device = tmp_path / "Dockerfile.zero"
    device.symlink_to("/dev/zero")
    result: list[Outcome] = []
    runner = threading.Thread(
        target=lambda: result.append(_run(cli, seeded, tree, lone_fifo, device)), daemon=True
    )
    runner.start()
    runner.join(60)
    assert result, "the run hung on a FIFO"
    (outcome,) = result
    errors = _errors(outcome)
    assert errors["app.Dockerfile"] == "a FIFO, not a regular file: not read"
    assert errors["Containerfile"] == "a FIFO, not a regular file: not read"
    assert errors["Dockerfile.zero"] == "a character device, not a regular file: not read"
    assert outcome.code == 1
    assert (tree / "Dockerfile").read_text() == f"FROM python:{PYTHON_NEW}\nRUN make\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_owner_group_and_mode_are_kept(tmp_path: Path, seeded: SeededImages, cli: RunCli) -> None:
    tree = write_tree(tmp_path / "tree", {"Dockerfile": PYTHON})
    target = tree / "Dockerfile"
    os.chown(target, 4321, 8765)
    target.chmod(0o640)
    outcome = _run(cli, seeded, tree)
    assert outcome.code == 0, outcome.err
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 8765, 0o640)
    assert target.read_text().startswith(f"FROM python:{PYTHON_NEW}")


def test_hard_linked_and_read_only_files_are_reported_not_changed(
    tmp_path: Path, seeded: SeededImages, cli: RunCli
) -> None:
    tree = write_tree(tmp_path / "tree", {"a/Dockerfile": PYTHON, "b/Dockerfile": ALPINE,
                                          "c/Dockerfile": ALPINE})  # fmt: skip
    os.link(tree / "a/Dockerfile", tmp_path / "other-name")
    (tree / "b/Dockerfile").chmod(0o444)
    outcome = _run(cli, seeded, tree)
    assert outcome.code == 1
    errors = _errors(outcome)
    assert errors["a/Dockerfile"].startswith("has 2 hard links: not rewritten")
    assert errors["b/Dockerfile"] == "is read-only (mode 0444): not rewritten"
    assert (tree / "a/Dockerfile").read_text() == PYTHON
    assert (tmp_path / "other-name").read_text() == PYTHON
    assert (tree / "b/Dockerfile").read_text() == ALPINE
    assert (tree / "c/Dockerfile").read_text() == f"FROM alpine:{ALPINE_NEW}\n"
    assert "c/Dockerfile" not in errors


def test_a_symbolic_link_given_as_path_stays_a_link(
    tmp_path: Path, seeded: SeededImages, cli: RunCli
) -> None:
    real = write_tree(tmp_path / "real", {"Dockerfile": PYTHON, "svc/Dockerfile": ALPINE})
    file_link = tmp_path / "Dockerfile"
    file_link.symlink_to(real / "Dockerfile")
    dir_link = tmp_path / "svc-link"
    dir_link.symlink_to(real / "svc")
    outcome = _run(cli, seeded, file_link, dir_link)
    assert outcome.code == 0, outcome.err
    assert file_link.is_symlink()
    assert dir_link.is_symlink()
    assert (real / "Dockerfile").read_text() == f"FROM python:{PYTHON_NEW}\nRUN make\n"
    assert (real / "svc/Dockerfile").read_text() == f"FROM alpine:{ALPINE_NEW}\n"
    assert {u["path"] for u in outcome.records("updates")} == {"Dockerfile"}
