"""Code-forge access: repository reads, commits and pull requests.

``protocol`` holds the ``Forge`` Protocol and the frozen records crossing it, ``branches`` and
``globs`` the pure naming and matching rules, ``github`` the PyGithub implementation (the only
module importing PyGithub; import it explicitly, this package imports nothing at load time).
"""

from __future__ import annotations
