"""Fixtures of the governance-check tests: the CLI runner of the end-to-end tests (every JSON
report validated against the contract), an isolated environment, and a helper that pushes a
small image history in which floating tags share digests with precise ones, as on Docker Hub."""

from __future__ import annotations

from tests.e2e.conftest import _isolated_environment, cli, run_output_validator

__all__ = ["_isolated_environment", "cli", "run_output_validator"]
