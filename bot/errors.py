"""One exception tree for the whole bot.

Every error the bot raises derives from :class:`BotError` and carries a one-line, user-facing
message. Third-party exceptions are wrapped where they enter (``raise RegistryError(...) from exc``)
so that ``cli.main`` catches ``BotError`` once and maps it to an exit code::

    BotError
    ├── UsageError                 bad command line (exit 2)
    ├── NotImplementedYetError     a stage that is not built yet (exit 2)
    ├── ConfigError                invalid configuration, names the key and line (exit 2)
    ├── DockerfileError            a Dockerfile that cannot be read or decoded
    ├── ImageReferenceError        an image reference that does not parse
    ├── PolicyError                an invalid update policy (bad range, bad regex)
    ├── RegistryError              any registry failure
    │   ├── RegistryAuthError      401/403, bad or missing credentials
    │   ├── RateLimitedError       429 or Docker Hub pull limit reached
    │   ├── NotFoundError          404 repository, tag or blob
    │   ├── DigestMismatchError    bytes do not hash to the digest announced or asked for
    │   └── RegistryProtocolError  malformed reply (bad JSON, missing fields, too large)
    ├── GitHubError                any GitHub API failure
    │   └── GitHubUncertainError   a write whose answer was lost: it may have been carried out
    ├── ScanError                  image inventory, advisories or scanner failure
    ├── CheckError                 governance data (lifecycle data, signing keys) unusable
    ├── ClusterError               work queue or leader election unreachable (distributed serve)
    └── OutputError                report cannot be written
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_UPDATES_FOUND = 3
EXIT_FINDINGS = 4


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    exit_code: int = EXIT_PARTIAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BotError):
    """The command line is wrong."""

    exit_code = EXIT_USAGE


class NotImplementedYetError(BotError):
    """A subcommand whose stage is not built yet."""

    exit_code = EXIT_USAGE


class ConfigError(BotError):
    """The configuration is invalid; the message names the key (and line when known)."""

    exit_code = EXIT_USAGE


class DockerfileError(BotError):
    """A Dockerfile cannot be read or decoded."""


class ImageReferenceError(BotError):
    """An image reference that does not follow Docker's grammar."""


class PolicyError(BotError):
    """An update policy cannot be applied (bad version range, bad regex)."""


class RegistryError(BotError):
    """A registry request failed."""


class RegistryAuthError(RegistryError):
    """The registry refused our credentials (or we have none)."""


class RateLimitedError(RegistryError):
    """The registry rate-limited us; lookups on that registry stop for this run."""


class NotFoundError(RegistryError):
    """Repository, tag, manifest or blob does not exist."""


class DigestMismatchError(RegistryError):
    """Content does not hash to the digest the registry announced or we asked for."""


class RegistryProtocolError(RegistryError):
    """The registry answered something we cannot use (bad JSON, missing fields, too large)."""


class GitHubError(BotError):
    """A GitHub API call failed."""


class GitHubUncertainError(GitHubError):
    """A write failed without an answer (5xx, timeout): it may have been carried out."""


class ClusterError(BotError):
    """The work queue (Redis) or the leader election (PostgreSQL, Kubernetes API) failed."""


class ScanError(BotError):
    """Building an image inventory, matching advisories or running a scanner failed."""


class OutputError(BotError):
    """A report could not be written."""

    exit_code = EXIT_USAGE


class CheckError(BotError):
    """Governance check data (lifecycle data, signing keys) could not be loaded or used."""
