"""What the versioning stage knows about particular images and operating systems.

* **OS axis**: a tag token naming an operating-system release — ``alpine3.19``, a Debian codename
  (``bookworm``), an Ubuntu codename (``jammy``) or a Windows ``ltsc2022`` — found anywhere in the
  tag (``3.12.1-slim-bookworm``, ``bookworm-slim``, ``jammy``). :func:`find_os_variant` returns the
  tag's *template* (the tag with that token replaced by ``{os}``) so an ``os`` update is any tag
  with the same template, the same OS family and a newer OS version: the release text is kept.
  Only the first OS token of a tag is considered.
* **Image families** (:func:`image_family`, by the last path component of the image name):
  ``ubuntu`` (LTS = even year ``.04``), ``node`` (LTS = even majors), ``postgres`` (from 10 on, a
  two-part ``16.2`` → ``16.3`` is a *patch*), ``debian`` (from 7 on, ``12.5`` → ``12.6`` is a
  *patch*), Java images (``eclipse-temurin``, ``openjdk``, ...;
  LTS = the rule's ``java_lts`` majors). Any other image uses ``java_lts`` as its LTS-major list.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

logger = logging.getLogger(__name__)

#: Debian codenames in release order, from 2.2 ``potato`` (only the order matters).
DEBIAN_CODENAMES: tuple[str, ...] = (
    "potato", "woody", "sarge", "etch", "lenny",
    "squeeze", "wheezy", "jessie", "stretch", "buster", "bullseye", "bookworm", "trixie",
    "forky", "duke",
)  # fmt: skip

#: Ubuntu codenames and their ``(year, month)`` versions.
UBUNTU_CODENAMES: dict[str, tuple[int, int]] = {
    "warty": (4, 10), "hoary": (5, 4), "breezy": (5, 10), "dapper": (6, 6), "edgy": (6, 10),
    "feisty": (7, 4), "gutsy": (7, 10), "hardy": (8, 4), "intrepid": (8, 10), "jaunty": (9, 4),
    "karmic": (9, 10), "lucid": (10, 4), "maverick": (10, 10), "natty": (11, 4),
    "oneiric": (11, 10), "precise": (12, 4), "quantal": (12, 10), "raring": (13, 4),
    "saucy": (13, 10), "trusty": (14, 4), "utopic": (14, 10), "vivid": (15, 4),
    "wily": (15, 10), "xenial": (16, 4), "yakkety": (16, 10), "zesty": (17, 4),
    "artful": (17, 10), "bionic": (18, 4), "cosmic": (18, 10), "disco": (19, 4),
    "eoan": (19, 10), "focal": (20, 4), "groovy": (20, 10), "hirsute": (21, 4),
    "impish": (21, 10), "jammy": (22, 4), "kinetic": (22, 10), "lunar": (23, 4),
    "mantic": (23, 10), "noble": (24, 4), "oracular": (24, 10), "plucky": (25, 4),
    "questing": (25, 10), "resolute": (26, 4), "stonking": (26, 10),
}  # fmt: skip

_TWO_PART_PATCH_FROM = {"postgres": 10, "debian": 7}
_DEBIAN_INDEX = {name: i for i, name in enumerate(DEBIAN_CODENAMES)}
_ALPINE_RE = re.compile(r"alpine(\d+)\.(\d+)")
_LTSC_RE = re.compile(r"ltsc(\d{4})")

JAVA_IMAGES = frozenset(
    {
        "eclipse-temurin", "openjdk", "amazoncorretto", "ibm-semeru-runtimes", "sapmachine",
        "ibmjava", "zulu-openjdk", "liberica-openjdk-debian", "liberica-openjdk-alpine",
        "liberica-openjdk-centos", "microsoft-openjdk", "jdk", "jre", "java",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OsVariant:
    """The OS token of a tag: ``family`` (alpine|debian|ubuntu|windows), comparable ``version``,
    the ``token`` itself and the tag ``template`` with the token replaced by ``{os}``."""

    family: str
    version: tuple[int, ...]
    token: str
    template: str


def _os_of_token(token: str) -> tuple[str, tuple[int, ...]] | None:
    """Family and version of one ``-``-separated token, if it names an OS release."""
    low = token.lower()
    m = _ALPINE_RE.fullmatch(low)
    if m:
        return "alpine", (int(m.group(1)), int(m.group(2)))
    if low in _DEBIAN_INDEX:
        return "debian", (_DEBIAN_INDEX[low],)
    if low in UBUNTU_CODENAMES:
        return "ubuntu", UBUNTU_CODENAMES[low]
    m = _LTSC_RE.fullmatch(low)
    if m:
        return "windows", (int(m.group(1)),)
    return None


@lru_cache(maxsize=1 << 16)
def find_os_variant(tag: str) -> OsVariant | None:
    """Return the first OS token of ``tag`` and the tag's template, or ``None``."""
    tokens = tag.split("-")
    for i, token in enumerate(tokens):
        found = _os_of_token(token)
        if found is not None:
            template = "-".join([*tokens[:i], "{os}", *tokens[i + 1 :]])
            return OsVariant(found[0], found[1], token, template)
    return None


def is_lts_os(variant: OsVariant) -> bool:
    """Ubuntu codenames are LTS when even-year ``.04``; other OS families count as LTS."""
    if variant.family != "ubuntu":
        return True
    return variant.version[0] % 2 == 0 and variant.version[1] == 4


def image_family(image_name: str) -> str:
    """``ubuntu``, ``node``, ``postgres``, ``debian``, ``java`` or ``generic``, from the last name component."""
    base = image_name.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0].lower()
    if base in ("ubuntu", "node", "postgres", "debian"):
        return base
    if base in JAVA_IMAGES or base.endswith(("-jdk", "-jre", "openjdk")):
        return "java"
    return "generic"


def is_lts_release(
    family: str, release: tuple[int, ...], prefix: str, lts_majors: tuple[int, ...]
) -> bool:
    """Whether a release is LTS for ``family``.

    Ubuntu: even year and ``.04`` (``22.04``), or a dated tag whose codename prefix is LTS
    (``jammy-20240111``). Node: even major. Java and anything else: major in ``lts_majors``.
    """
    if family == "ubuntu":
        codename = prefix.rstrip("-").lower()
        if codename in UBUNTU_CODENAMES:
            year, month = UBUNTU_CODENAMES[codename]
            return year % 2 == 0 and month == 4
        return len(release) >= 2 and release[0] % 2 == 0 and release[1] == 4
    if not release:
        return False
    if family == "node":
        return release[0] % 2 == 0
    return release[0] in lts_majors


#: Windows 10 builds start at 10240; ``10.0.BUILD.REV`` names the release (BUILD) and the patch
#: level (REV): 17763 = 1809 / LTSC 2019, 20348 = LTSC 2022, 26100 = LTSC 2025.
FIRST_WINDOWS_BUILD = 10240


def is_windows_version(release: tuple[int, ...]) -> bool:
    """``10.0.BUILD.REV``: a Windows version, where a container must match its host's BUILD."""
    return len(release) == 4 and release[:2] == (10, 0) and release[2] >= FIRST_WINDOWS_BUILD


#: Words before a date that name a moving target, not a release: Debian suite aliases
#: (``stable`` was Debian 9 in 2017 and is 13 now), development streams and rolling builds.
ROLLING_WORDS = frozenset(
    {
        "sid", "unstable", "experimental", "rc-buggy", "testing", "stable", "oldstable",
        "oldoldstable", "tip", "edge", "latest", "nightly", "devel", "dev", "master", "main",
        "rolling", "canary",
    }
)  # fmt: skip


def date_fixes_release(prefix: str) -> bool:
    """Whether a dated tag's prefix names a fixed release, so a newer date is a patch-level
    refresh of it: a Debian or Ubuntu codename (``bookworm-20240101``, ``jammy-20240111``).
    Bare dates (``alpine:20240606``), suite aliases (``stable-…``, ``sid-…``) and rolling
    streams (``tip-…``) are not releases."""
    words = [w for w in prefix.lower().split("-") if w]
    if not words or "-".join(words) in ROLLING_WORDS or words[0] in ROLLING_WORDS:
        return False
    return words[0] in _DEBIAN_INDEX or words[0] in UBUNTU_CODENAMES


def second_component_is_patch(family: str, release: tuple[int, ...]) -> bool:
    """True for two-part product versions whose second part is the bug-fix counter.

    PostgreSQL from 10 on (``16.2`` → ``16.3`` is a patch release upstream) and Debian from 7
    on (``12.5`` → ``12.6`` is a point release).
    """
    first = _TWO_PART_PATCH_FROM.get(family)
    return first is not None and len(release) == 2 and release[0] >= first
