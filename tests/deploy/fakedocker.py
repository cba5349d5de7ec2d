"""A stand-in for the ``docker`` CLI of a GitHub runner, for the Action's ``runtime: image``.

    python -m tests.deploy.fakedocker LOG IMAGE BOT -- <docker arguments>

``pull IMAGE`` succeeds; ``run [flags] IMAGE ARGS`` runs ``BOT ARGS`` (the bot of this checkout)
with only what the flags give a container, as ``docker run`` documents them
(docs.docker.com/reference/cli/docker/container/run/): the image's own ``ENV`` (the Dockerfile's
runtime stage, :data:`IMAGE_ENV`), then ``--env NAME=VALUE``, and ``--env NAME`` takes the
host's value when the host has one and is left unset otherwise; ``--workdir`` is the working
directory. Nothing of the host's environment or file system reaches the bot otherwise, so the
fake refuses what a container would not see: a volume must map a path to itself (the fake cannot
remap), the working directory and every path the bot is given (``--config``, ``--output``,
positional paths) must lie under a volume, and for ``run`` ``--user`` must be the caller's
uid:gid (files in the workspace stay the runner's). The bot's interpreter is put on PATH. Every invocation is appended to LOG, one JSON list per line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: The runtime stage's ENV in the project's Dockerfile but PATH (test_action checks they match).
IMAGE_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "HOME": "/var/lib/base-image-bot",
    "BASE_IMAGE_BOT_STATE_DIR": "/var/lib/base-image-bot",
    "BASE_IMAGE_BOT_SERVICE__HOST": "0.0.0.0",
    "BASE_IMAGE_BOT_LOG_FORMAT": "json",
}
#: ``docker run`` flags taking a value (the ones the Action uses).
VALUED = {"--user", "--workdir", "--volume", "--env"}


def _fail(message: str) -> int:
    print(f"fake docker: {message}", file=sys.stderr)
    return 125  # docker run's own error code


def _inside(path: str, volumes: list[str], workdir: str) -> bool:
    full = Path(workdir, path).resolve()
    return any(full == Path(v) or Path(v) in full.parents for v in volumes)


def _bot_paths(args: list[str]) -> list[str]:
    """The file system paths in the bot's ``run`` arguments."""
    paths: list[str] = []
    it = iter(args[1:])
    for arg in it:
        if arg in ("--config", "--output"):
            value = next(it)
            paths.append(value.partition("=")[2] if arg == "--output" else value)
        elif arg in ("--update-types", "--fail-on", "--repo"):
            next(it)
        elif not arg.startswith("-"):
            paths.append(arg)
    return paths


def run(image: str, bot: str, argv: list[str]) -> int:
    env = dict(IMAGE_ENV)
    volumes: list[str] = []
    workdir = "/"
    user = None
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        flag = argv[i]
        if flag == "--rm":
            i += 1
            continue
        if flag not in VALUED:
            return _fail(f"unexpected flag {flag}")
        value = argv[i + 1]
        i += 2
        if flag == "--env":
            name, sep, given = value.partition("=")
            if sep:
                env[name] = given
            elif name in os.environ:
                env[name] = os.environ[name]
        elif flag == "--volume":
            source, target, *mode = value.split(":")
            if source != target or mode not in ([], ["ro"]):
                return _fail(f"volume {value!r} does not map a path to itself")
            volumes.append(str(Path(source).resolve()))
        elif flag == "--workdir":
            workdir = value
        else:
            user = value
    if argv[i : i + 1] != [image]:
        return _fail(f"expected the image {image}, got {argv[i:i + 1]}")
    args = argv[i + 1 :]
    if args and args[0] == "run":
        if user != f"{os.getuid()}:{os.getgid()}":
            return _fail(f"--user {user!r} is not the runner's user")
        outside = [p for p in [workdir, *_bot_paths(args)] if not _inside(p, volumes, workdir)]
        if outside:
            return _fail(f"paths the container cannot see: {outside}")
    env["PATH"] = f"{Path(bot).parent}{os.pathsep}{os.environ['PATH']}"  # the bot's interpreter
    os.chdir(workdir)
    os.execve(bot, [bot, *args], env)
    return 0  # not reached


def main(argv: list[str]) -> int:
    log, image, bot, separator, *docker = argv
    assert separator == "--"
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps(docker) + "\n")
    if docker[:1] == ["pull"]:
        return 0 if docker[-1] == image else _fail(f"no such image {docker[-1]}")
    if docker[:1] == ["run"]:
        return run(image, bot, docker[1:])
    return _fail(f"unsupported command {docker[:1]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
