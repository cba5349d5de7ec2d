"""Contents of the files that identify a distribution and its packages, for synthetic layers."""

from __future__ import annotations

from collections.abc import Mapping


def os_release(distro: str = "debian", version_id: str = "12", pretty: str | None = None) -> bytes:
    """An ``/etc/os-release`` for ``distro`` (``debian``, ``ubuntu``, ``alpine`` ...)."""
    name = pretty or f"{distro.capitalize()} {version_id}"
    lines = [
        f'PRETTY_NAME="{name}"',
        f'NAME="{distro.capitalize()}"',
        f'VERSION_ID="{version_id}"',
        f"ID={distro}",
    ]
    return ("\n".join(lines) + "\n").encode()


def dpkg_status(packages: Mapping[str, str], arch: str = "amd64") -> bytes:
    """A ``/var/lib/dpkg/status`` listing ``{name: version}`` as installed packages."""
    stanzas = [
        f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
        f"Architecture: {arch}\nVersion: {version}\nDescription: synthetic {name}\n"
        for name, version in sorted(packages.items())
    ]
    return "\n".join(stanzas).encode()


def apk_installed(packages: Mapping[str, str], arch: str = "x86_64") -> bytes:
    """A ``/lib/apk/db/installed`` listing ``{name: version}``."""
    stanzas = [
        f"P:{name}\nV:{version}\nA:{arch}\nT:synthetic {name}\n"
        for name, version in sorted(packages.items())
    ]
    return "\n".join(stanzas).encode() + b"\n"
