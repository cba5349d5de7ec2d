"""Lazy package exports (PEP 562): ``from bot.scan import scan_image`` loads only the module
that defines ``scan_image``, not the whole package.

A package ``__init__`` lists its exports by module and binds them with :func:`exports`; type
checkers see ordinary imports under ``TYPE_CHECKING``. Start-up matters (an Action step or a
CronJob starts a process per run), and a package's convenience imports otherwise load every
module of the package for any one name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def exports(
    package: str, names: Mapping[str, str], namespace: dict[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose ``names`` map an exported name to
    the module (relative to the package) that defines it; a name is imported on first use and
    then kept in the package's ``namespace``."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__
