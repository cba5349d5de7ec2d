"""Settings under which a ``serve`` or CLI process started by a test downloads nothing.

Every process the tests start gets them (``offline_environment`` in ``tests/conftest.py`` adds
them to its environment unless the test set the variable itself): advisories from
``tests/data/osv`` and end-of-life data from the snapshot bundled with the bot. Environment
variables outrank configuration files, so a test that needs other data sets the variable.
Whatever still tries to leave the host is refused and fails the test
(``tests/support/offline_site``).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OSV_DATA = ROOT / "tests" / "data" / "osv"
EOL_SNAPSHOT = ROOT / "bot" / "checks" / "data" / "endoflife-snapshot.json"

#: ``BASE_IMAGE_BOT_*`` defaults of every child (``end-of-life`` keeps its hyphens: a child's
#: environment is set from Python, where any name is allowed).
OFFLINE_ENVIRON = {
    "BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH": str(OSV_DATA),
    "BASE_IMAGE_BOT_CHECKS__END-OF-LIFE__PATH": str(EOL_SNAPSHOT),
}
