"""What an image means for its user, read from its inventory, and what a switch changes. Pure.

From the package list (the same whether it came from an SBOM attestation or the layers):
the C library (``libc6``/``glibc`` → glibc, ``musl`` → musl, neither → none, as in distroless
``static``), a shell (a package that provides ``/bin/sh``: ``dash``, ``bash``, ``busybox``...),
the package manager (``apt``, ``apk-tools``, ``dnf``/``microdnf``/``yum``/``tdnf``); from the
image config its ``User``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.recommend.model import Traits
from bot.scan.packages import OsRelease, Package

__all__ = ["changes", "traits_of"]

_GLIBC = frozenset({"libc6", "glibc", "glibc-minimal-langpack", "libc6-amd64", "ld-linux"})
_SHELLS = frozenset({"dash", "bash", "busybox", "busybox-binsh", "zsh", "mksh", "ash", "toybox"})
_MANAGERS = (("apt", "apt"), ("apk-tools", "apk"), ("dnf", "dnf"), ("microdnf", "microdnf"),
             ("yum", "yum"), ("tdnf", "tdnf"), ("zypper", "zypper"))  # fmt: skip
_OS_KINDS = frozenset({"deb", "apk", "rpm"})


def traits_of(os: OsRelease | None, packages: Sequence[Package], user: str | None) -> Traits:
    """The traits of an image with ``packages`` (OS packages are read; language ones ignored)."""
    names = {p.name for p in packages if p.kind in _OS_KINDS}
    libc = "glibc" if names & _GLIBC else "musl" if "musl" in names else "none"
    manager = next((label for name, label in _MANAGERS if name in names), "none")
    has_shell = bool(names & _SHELLS)
    return Traits(os.label if os is not None else None, libc, has_shell, manager, user)


def _is_root(user: str | None) -> bool:
    return not user or user.split(":", 1)[0] in ("0", "root")


def changes(current: Traits | None, candidate: Traits | None) -> tuple[str, ...]:
    """What moving from ``current`` to ``candidate`` changes for whoever builds on it."""
    if current is None or candidate is None:
        return ()
    found: list[str] = []
    if candidate.os and current.os and candidate.os != current.os:
        found.append(f"{candidate.os} instead of {current.os}")
    if candidate.libc != current.libc:
        if candidate.libc == "none":
            found.append(f"no C library (was {current.libc}): static binaries only")
        elif current.libc == "none":
            found.append(f"{candidate.libc} C library added")
        else:
            found.append(f"{candidate.libc} instead of {current.libc}: native modules must match")
    if current.shell and not candidate.shell:
        found.append("no shell (/bin/sh): RUN and shell-form CMD do not work")
    elif candidate.shell and not current.shell:
        found.append("has a shell (/bin/sh)")
    if candidate.package_manager != current.package_manager:
        if candidate.package_manager == "none":
            found.append(f"no package manager (was {current.package_manager})")
        else:
            found.append(f"package manager {candidate.package_manager} "
                         f"(was {current.package_manager})")  # fmt: skip
    if _is_root(current.user) and not _is_root(candidate.user):
        found.append(f"runs as {candidate.user} (not root)")
    elif not _is_root(current.user) and _is_root(candidate.user):
        found.append("runs as root")
    return tuple(found)
