"""The ``lineage`` subcommand's arguments (standard library only: ``--help`` stays light; the
command itself is :mod:`bot.lineage.command`)."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("tree", "json", "markdown")


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """The ``lineage`` subcommand's arguments."""
    parser = sub.add_parser(
        "lineage",
        parents=[common],
        help="which repository builds which image, and what is built on what",
        description="Learn which configured repository builds which image (build metadata, "
        "publishes, image labels) and answer which images are built, directly or through our "
        "parent images, on an image pattern, an image with an inventory status, or an image "
        "affected by a vulnerability. Writes nothing.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="directory or file")
    parser.add_argument(
        "--repo", action="append", default=[], metavar="OWNER/NAME", help="GitHub repository"
    )
    parser.add_argument(
        "--built-on", action="append", default=[], metavar="IMAGE[:TAG]",
        help="images built on IMAGE[:TAG] (globs allowed: 'python:3.8*', 'ghcr.io/acme/*')",
    )  # fmt: skip
    parser.add_argument(
        "--status", action="append", default=[], metavar="STATUS",
        help="images built on a base with this inventory status (end-of-life, vulnerable, "
        "outdated, unsigned, ...)",
    )  # fmt: skip
    parser.add_argument("--eol", action="store_true", help="same as --status end-of-life")
    parser.add_argument(
        "--cve", action="append", default=[], metavar="ID",
        help="images built on an image affected by this vulnerability (scans every base in use)",
    )  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="tree", help="output (default tree)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    parser.add_argument(
        "--registry-alias", action="append", default=[], metavar="SRC=DST[/PREFIX]",
        help="look up references on SRC at DST (mirror or pull-through cache)",
    )  # fmt: skip
    parser.add_argument(
        "--insecure-registry", action="append", default=[], metavar="HOST[:PORT]",
        help="use plain HTTP for this registry",
    )  # fmt: skip
