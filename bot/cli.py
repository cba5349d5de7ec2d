"""Command-line interface: parses arguments, sets up logging, maps ``BotError`` to exit codes.

This is the only place that catches :class:`~bot.errors.BotError` for a one-shot command; the
tracebacks of unexpected errors are shown only with ``--debug``.

Start-up matters (an Action step or a CronJob starts a process per run): this module imports only
the standard library and :mod:`bot.errors` at load time, and each command imports what it uses
when it runs (``version`` and ``--help`` load nothing else). ``tests/test_startup_imports.py``
guards the import graph; ``bench/bench_startup.py`` measures it.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NoReturn

from bot import __version__
from bot.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UPDATES_FOUND,
    EXIT_USAGE,
    BotError,
    NotImplementedYetError,
    UsageError,
)
from bot.lineage.cliargs import add_parser as add_lineage_parser

logger = logging.getLogger(__name__)

EXIT_CODES = f"""\
exit codes:
  {EXIT_OK}  success
  {EXIT_PARTIAL}  some lookups or updates failed (the run finished and reported everything else)
  {EXIT_USAGE}  usage or configuration error
  {EXIT_UPDATES_FOUND}  updates found and --fail-on-updates given
  {EXIT_FINDINGS}  findings at or above --fail-on SEVERITY (failures take precedence: 1)
"""

#: The members of bot.versioning.UpdateType, written out (this module loads nothing at start;
#: tests/foundation/test_config.py holds the two equal).
UPDATE_TYPES = ("patch", "minor", "major", "digest", "pin", "os", "rolling", "variant")
SEVERITIES = ("info", "low", "medium", "high", "critical")
FIXABLE_RULES = ("unpinned-tag",)
FORMATS = ("table", "json", "markdown", "sarif", "inventory", "inventory-json")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError (with a "did you mean" hint) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        hint = suggestion(message, _option_strings(self))
        raise UsageError(f"{message}{hint} (see '{self.prog} --help')")


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every ``--flag`` of ``parser`` and its subcommands."""
    found: list[str] = []
    for action in parser._actions:
        found += [o for o in action.option_strings if o.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += _option_strings(sub)
    return list(dict.fromkeys(found))


def suggestion(message: str, options: Sequence[str]) -> str:
    """``; did you mean 'run'?`` for an argparse error about a mistyped choice or flag."""
    import difflib  # only a mistyped command line needs it

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        candidates = re.findall(r"'([^']*)'", choice.group(2))
        close = difflib.get_close_matches(choice.group(1), candidates, n=1, cutoff=0.6)
        return f"; did you mean '{close[0]}'?" if close else ""
    unknown = re.search(r"unrecognized arguments: (.*)", message)
    if unknown:
        hints = []
        for word in unknown.group(1).split():
            flag = word.split("=", 1)[0]
            if flag.startswith("-"):
                close = difflib.get_close_matches(flag, options, n=1, cutoff=0.6)
                hints += [f"{close[0]} for {flag}"] if close else []
        return f"; did you mean {', '.join(hints)}?" if hints else ""
    return ""


def _common_options(defaults: bool) -> _Parser:
    """Global flags, accepted before or after the subcommand."""
    default = None if defaults else argparse.SUPPRESS
    common = _Parser(add_help=False)
    common.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=default,
        help="log level (default: from config, else info)",
    )
    common.add_argument(
        "--log-format", choices=("text", "json"), default=default, help="log format (default: text)"
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="show tracebacks of unexpected errors",
    )
    common.add_argument(
        "--config",
        type=Path,
        default=default,
        metavar="FILE",
        help="configuration file (default: $BASE_IMAGE_BOT_CONFIG, else built-in defaults)",
    )
    common.add_argument(
        "--no-color",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="no colour in any output (also: a non-empty $NO_COLOR)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="base-image-bot",
        description="Keep Docker base images current: find newer patch tags and refreshed "
        "digests, rewrite Dockerfiles byte-exactly and open pull requests that explain the update.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(defaults=True)],
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"base-image-bot {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    common = _common_options(defaults=False)

    run = sub.add_parser(
        "run",
        parents=[common],
        help="one pass: audit (--dry-run) or update Dockerfiles in PATHs or repositories",
        description="Resolve every base image in the Dockerfiles under PATH (or in --repo "
        "repositories) and propose updates. Without --dry-run local files are rewritten in place.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="directory or file")
    run.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    run.add_argument(
        "--repo", action="append", default=[], metavar="OWNER/NAME", help="GitHub repository"
    )
    run.add_argument(
        "--format",
        choices=FORMATS,
        help="report format (default: table on a terminal, json otherwise); inventory and "
        "inventory-json list every base image version in use, where, and its status",
    )
    run.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="[FORMAT=]FILE",
        help="write the report to FILE instead of stdout (in --format); FORMAT=FILE writes that "
        f"format ({', '.join(FORMATS)}); repeat it for several reports from one run",
    )
    run.add_argument(
        "--show-pull-requests",
        action="store_true",
        help="also show the pull requests a local run would open, with their bodies "
        "(repository runs always show what they did)",
    )
    run.add_argument(
        "--update-types",
        metavar="TYPES",
        help=f"comma-separated update types from {', '.join(UPDATE_TYPES)} (default: patch,digest)",
    )
    run.add_argument("--pin-digests", action="store_true", help="add digests to unpinned refs")
    run.add_argument(
        "--describe",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="describe each update: package and vulnerability diff, changelog (default: on for "
        "repositories as describe.enabled says, off for local paths)",
    )
    run.add_argument(
        "--recommend",
        action="store_true",
        help="for every base image, compare other bases side by side: newer release lines, "
        "other variants (-slim, -alpine, newer OS), configured substitutes; ranked as "
        "recommend.ranking says (also in JSON and Markdown)",
    )
    run.add_argument(
        "--sbom",
        type=Path,
        metavar="DIR",
        help="write one CycloneDX JSON SBOM per image the run inventoried (described or "
        "recommended) into DIR; implies --describe",
    )
    run.add_argument(
        "--registry-alias",
        action="append",
        default=[],
        metavar="SRC=DST[/PREFIX]",
        help="look up references on SRC at DST (mirror or pull-through cache)",
    )
    run.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="use plain HTTP for this registry",
    )
    run.add_argument(
        "--fail-on-updates", action="store_true", help=f"exit {EXIT_UPDATES_FOUND} if updates exist"
    )
    run.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="SEVERITY",
        help=f"exit {EXIT_FINDINGS} if a governance finding is at least this severe "
        f"({', '.join(SEVERITIES)})",
    )
    run.add_argument(
        "--fix",
        action="append",
        default=[],
        choices=FIXABLE_RULES,
        metavar="RULE",
        help="apply the fix of a governance rule through the normal update flow "
        f"({', '.join(FIXABLE_RULES)}: rewrite floating tags to the precise tag they are today)",
    )
    run.add_argument(
        "--shard",
        metavar="I/N",
        help="only repositories in shard I (from 0) of N, by a stable hash of the name "
        "(default: $BASE_IMAGE_BOT_SHARD, or $JOB_COMPLETION_INDEX/$BASE_IMAGE_BOT_SHARD_COUNT)",
    )

    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="long-lived service: scheduled runs, health, metrics and GitHub webhooks",
        description="Run the configured repositories on their cron schedules (schedule, "
        "repos[].schedule) and serve /healthz, /readyz, /metrics and /webhook (service.*) until "
        "SIGTERM or SIGINT.",
    )
    serve.add_argument("--host", metavar="ADDRESS", help="listen address (default: service.host)")
    serve.add_argument(
        "--port", type=int, metavar="PORT", help="listen port, 0 for any (default: service.port)"
    )

    config = sub.add_parser("config", parents=[common], help="configuration tools")
    config_sub = config.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=_Parser
    )
    config_sub.required = True
    check = config_sub.add_parser(
        "check",
        parents=[common],
        help="validate a configuration file as serve and run would (every problem, by line)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("file", nargs="?", type=Path, metavar="FILE")
    check.add_argument(
        "--show",
        action="store_true",
        help="print the effective configuration (file, environment, flags) as a configuration "
        "file that config check accepts",
    )

    add_lineage_parser(sub, common)

    sub.add_parser("version", parents=[common], help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; returns the process exit code. ``argv`` None: this
    process's own command line (the command owns the process, see :func:`loading`)."""
    return _main(argv)[0]


def entry() -> NoReturn:
    """The ``base-image-bot`` command and ``python -m bot``: :func:`main` on this process's
    command line, then the process ends with its exit code (a ``run`` through
    :func:`exit_now`)."""
    code, command = _main(None)
    if command == "run":
        exit_now(code)
    sys.exit(code)


def exit_now(code: int) -> NoReturn:
    """End a one-shot ``run`` that owns its process once its output is out: log handlers
    closed, stdout and stderr flushed, then ``os._exit`` instead of the interpreter's teardown,
    which frees every object of the run one by one (about 10 ms of CPU after a 40-file audit,
    a thirtieth of the run; mypy ends its runs the same way, ``mypy.util.hard_exit``). By then
    every file the run writes is closed (reports, rewritten Dockerfiles: atomic renames), its
    databases are committed and closed, and its lookup threads are idle."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe: what was written is all there is
            stream.flush()
    os._exit(code)


def _main(argv: Sequence[str] | None) -> tuple[int, str | None]:
    """:func:`main`'s work: the exit code, and the command's name (None until it is parsed)."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    command: str | None = None
    try:
        args = build_parser().parse_args(argv)
        command = str(args.command)
        return _dispatch(args, own_process=argv is None), command
    except SystemExit as exc:  # --help and --version print and exit through argparse
        return (exc.code if isinstance(exc.code, int) else EXIT_OK), command
    except BotError as exc:
        from bot.logsetup import mask

        if debug:
            logger.exception("%s", exc.message)
        lines = exc.message.splitlines() or [exc.message]
        for line in lines:
            print(f"base-image-bot: error: {mask(line)}", file=sys.stderr)
        if len(lines) > 1:
            print(f"base-image-bot: {len(lines)} errors", file=sys.stderr)
        return exc.exit_code, command
    except KeyboardInterrupt:
        print("base-image-bot: interrupted", file=sys.stderr)
        return 130, command
    except Exception as exc:
        from bot.logsetup import mask

        if debug:
            logger.exception("unexpected error")
        print(
            f"base-image-bot: internal error: {mask(type(exc).__name__)}: {mask(str(exc))} "
            "(run with --debug for a traceback)",
            file=sys.stderr,
        )
        return EXIT_PARTIAL, command


@contextmanager
def loading(own_process: bool) -> Iterator[None]:
    """While a one-shot command that owns its process imports its modules: no cyclic garbage
    collection, then what they made (about 50,000 objects: modules, classes, functions, which
    live as long as the process) is frozen out of the collector, whose later passes over the
    run's own objects no longer walk it. Start-up of a 40-file ``run --dry-run``: about 40 ms
    of CPU less (``bench/bench_startup.py``), for about 0.3 MB of import garbage kept until
    exit. Called in-process (tests) it changes nothing."""
    if not own_process:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _dispatch(args: argparse.Namespace, *, own_process: bool = False) -> int:
    if args.command == "version":
        print(f"base-image-bot {__version__}")
        return EXIT_OK
    config_path: Path | None = args.config
    if config_path is None and os.environ.get("BASE_IMAGE_BOT_CONFIG"):
        config_path = Path(os.environ["BASE_IMAGE_BOT_CONFIG"])
    overrides: dict[str, object] = {}
    if args.log_level:
        overrides["log_level"] = args.log_level
    if args.log_format:
        overrides["log_format"] = args.log_format
    if args.command == "run":
        with loading(own_process):
            from bot.report import terminal
            from bot.runcmd import run_command

        terminal.configure(no_color=args.no_color)
        return run_command(args, config_path, overrides)
    from bot.config import load_settings

    if args.command == "config":
        path = args.file or config_path
        settings = load_settings(path)
        if args.show:
            from bot.configdump import dump_yaml

            print(dump_yaml(settings), end="")
        print(f"{settings.source}: configuration is valid", file=sys.stderr)
        return EXIT_OK
    if args.command == "lineage":
        from bot.lineage.command import lineage_command

        return lineage_command(args, config_path, overrides)
    if args.command == "serve":
        if args.host is not None:
            overrides["service.host"] = args.host
        if args.port is not None:
            overrides["service.port"] = args.port
    from bot.logsetup import setup_logging

    settings = load_settings(config_path, overrides=overrides)
    setup_logging(settings.log_level, settings.log_format)
    if args.command == "serve":
        from bot.service.runner import serve

        return serve(settings)
    raise NotImplementedYetError(f"'{args.command}' is not implemented yet")
