"""The describe stage: what an update changes (packages, vulnerabilities, changelog) and the PR body.

``describe_update(client, update, platform, advisories, ...) -> Description`` (never raises),
``render_body(description, marker=...)``, ``render_group_body([...])``, ``to_document(description)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.lazy import exports

if TYPE_CHECKING:
    from bot.describe.changelog import CommitSource
    from bot.describe.describe import ScannerRunner, describe_update, split_image
    from bot.describe.document import to_document
    from bot.describe.model import Changelog, Commit, Description, EnvChange, ImageSide, Provenance
    from bot.describe.render import MAX_BODY_CHARS, render_body, render_group_body

__getattr__, __dir__ = exports(
    __name__,
    {
        "CommitSource": "changelog",
        "ScannerRunner": "describe",
        "describe_update": "describe",
        "split_image": "describe",
        "to_document": "document",
        "Changelog": "model",
        "Commit": "model",
        "Description": "model",
        "EnvChange": "model",
        "ImageSide": "model",
        "Provenance": "model",
        "MAX_BODY_CHARS": "render",
        "render_body": "render",
        "render_group_body": "render",
    },
    globals(),
)

__all__ = [
    "MAX_BODY_CHARS",
    "Changelog",
    "Commit",
    "CommitSource",
    "Description",
    "EnvChange",
    "ImageSide",
    "Provenance",
    "ScannerRunner",
    "describe_update",
    "render_body",
    "render_group_body",
    "split_image",
    "to_document",
]
