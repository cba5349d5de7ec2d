"""Pure naming rules for bot pull requests: branch names, the hidden body marker, titles, commits.

* Branches: ``base-image-bot/<path-slug>/<image-slug>`` (one per update), ``base-image-bot/<path-slug>``
  (per file) or ``base-image-bot/all`` (per repository).
* Marker: ``<!-- base-image-bot: {json} -->`` as the last line of the PR body, the only place it is
  read from (the rest of the body quotes image metadata); our PRs are recognised by branch prefix
  plus this marker, never by title.
* Commit messages end with a ``Base-Image-Bot-Update: <key>`` trailer, which is how our own commits
  are told apart from a human's on our branch.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.errors import ConfigError

DEFAULT_BRANCH_PREFIX = "base-image-bot"
DEFAULT_TITLE_TEMPLATE = "chore(deps): update {image} docker tag to {to}"
DEFAULT_DIGEST_TITLE_TEMPLATE = "chore(deps): update {image}:{tag} docker digest to {to_short}"
COMMIT_TRAILER = "Base-Image-Bot-Update"
#: GitHub refuses longer pull-request titles (422 "title is too long (maximum is 256 characters)").
MAX_TITLE_CHARS = 256
MARKER_VERSION = 1
TEMPLATE_FIELDS = frozenset({"image", "from", "to", "to_short", "tag", "file", "kind"})

_MAX_SLUG = 60
_MARKER_RE = re.compile(r"<!-- base-image-bot: (\{.*\}) -->")
_TRAILER_RE = re.compile(rf"^{COMMIT_TRAILER}: \S+", re.MULTILINE)


def slugify(text: str) -> str:
    """Lower-case ``text`` to ``[a-z0-9-]``; long or empty results get a short content hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > _MAX_SLUG or not slug:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        slug = f"{slug[: _MAX_SLUG - 9].rstrip('-')}-{digest}".lstrip("-")
    return slug


def update_branch(path: str, image: str, prefix: str = DEFAULT_BRANCH_PREFIX) -> str:
    """Branch of one update: ``<prefix>/<path-slug>/<image-slug>``."""
    return f"{prefix}/{slugify(path)}/{slugify(image)}"


def file_branch(path: str, prefix: str = DEFAULT_BRANCH_PREFIX) -> str:
    """Branch grouping every update of one file: ``<prefix>/<path-slug>``."""
    return f"{prefix}/{slugify(path)}"


def repo_branch(prefix: str = DEFAULT_BRANCH_PREFIX) -> str:
    """Branch grouping every update of a repository: ``<prefix>/all``."""
    return f"{prefix}/all"


def group_branch(name: str, prefix: str = DEFAULT_BRANCH_PREFIX) -> str:
    """Branch of a rule group's updates: ``<prefix>/group/<name-slug>``."""
    return f"{prefix}/group/{slugify(name)}"


def is_bot_branch(branch: str, prefix: str = DEFAULT_BRANCH_PREFIX) -> bool:
    """True when ``branch`` lives under our prefix."""
    return branch.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class MarkedUpdate:
    """One update recorded in a PR marker (``from``/``to`` are tags or digests as written)."""

    key: str
    file: str
    image: str
    from_value: str
    to_value: str
    kind: str


@dataclass(frozen=True)
class PullRequestMarker:
    """Data hidden in the body of a bot PR."""

    updates: tuple[MarkedUpdate, ...]
    version: int = MARKER_VERSION
    flags: tuple[str, ...] = ()  # e.g. "edited": humans committed to the branch, we were told once

    @property
    def keys(self) -> frozenset[str]:
        """Update keys carried by the PR."""
        return frozenset(u.key for u in self.updates)


def encode_marker(marker: PullRequestMarker) -> str:
    """The HTML comment to put in a PR body (``<``/``>`` escaped so it cannot end early)."""
    data: dict[str, object] = {
        "v": marker.version,
        "updates": [
            {
                "key": u.key,
                "file": u.file,
                "image": u.image,
                "from": u.from_value,
                "to": u.to_value,
                "kind": u.kind,
            }
            for u in marker.updates
        ],
    }
    if marker.flags:
        data["flags"] = list(marker.flags)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- base-image-bot: {text} -->"


def _last_line(body: str | None) -> str:
    lines = (body or "").rstrip().splitlines()
    return lines[-1].strip() if lines else ""


def parse_marker(body: str | None) -> PullRequestMarker | None:
    """The marker on the last line of ``body``, or None (absent, moved, edited away or malformed).

    Only the bot's own fixed position counts: a marker-like text anywhere else (quoted from an
    image label, say) is never read.
    """
    match = _MARKER_RE.fullmatch(_last_line(body))
    if match is not None:
        try:
            data = json.loads(match.group(1))
            updates = tuple(
                MarkedUpdate(
                    _text(u["key"]),
                    _text(u["file"]),
                    _text(u["image"]),
                    _text(u["from"]),
                    _text(u["to"]),
                    _text(u["kind"]),
                )
                for u in data["updates"]
            )
            version = data["v"]
            flags = tuple(_text(f) for f in data.get("flags", []))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if isinstance(version, int) and not isinstance(version, bool):
            return PullRequestMarker(updates, version, flags)
    return None


def comment_marker(text: str) -> str:
    """The hidden line identifying a bot comment by its text: a comment is posted once."""
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:16]
    return f"<!-- base-image-bot-comment: {digest} -->"


def marked_comment(text: str) -> str:
    """``text`` with its :func:`comment_marker` appended."""
    return f"{text.rstrip()}\n\n{comment_marker(text)}\n"


def replace_marker(body: str, marker: PullRequestMarker) -> str:
    """``body`` with its last-line marker (if any) replaced by ``marker``."""
    lines = body.rstrip().splitlines(keepends=True)
    if lines and _MARKER_RE.fullmatch(lines[-1].strip()):
        lines.pop()
    stripped = "".join(lines).rstrip()
    return f"{stripped}\n\n{encode_marker(marker)}\n" if stripped else f"{encode_marker(marker)}\n"


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("marker field is not a string")
    return value


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{field}`` placeholders; unknown or malformed placeholders raise ``ConfigError``."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ConfigError(f"title template {template!r}: {exc}") from exc
    unknown = sorted(set(fields) - TEMPLATE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(TEMPLATE_FIELDS))
        raise ConfigError(
            f"title template {template!r}: unknown field {unknown[0]!r} (allowed: {allowed})"
        )
    full = {name: values.get(name, "") for name in TEMPLATE_FIELDS}
    return template.format_map(full)


def cap_title(title: str) -> str:
    """``title`` on one line and within :data:`MAX_TITLE_CHARS` (cut with an ellipsis)."""
    line = " ".join(title.split())
    if len(line) <= MAX_TITLE_CHARS:
        return line
    return line[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def display_image(repository: str) -> str:
    """Short image name for titles: ``docker.io/library/python`` → ``python``."""
    name = repository.removeprefix("docker.io/").removeprefix("index.docker.io/")
    return name.removeprefix("library/")


def update_title(
    update: MarkedUpdate,
    *,
    template: str = DEFAULT_TITLE_TEMPLATE,
    digest_template: str = DEFAULT_DIGEST_TITLE_TEMPLATE,
    tag: str = "",
) -> str:
    """Title (and commit subject) of one update, e.g. ``chore(deps): update python docker tag to 3.12.3-slim``.

    Digest updates (``kind == "digest"``) use ``digest_template`` and ``to_short`` (7 hex chars).
    """
    short = (
        update.to_value.split(":", 1)[-1][:7]
        if update.to_value.startswith("sha256:")
        else update.to_value
    )
    values = {
        "image": display_image(update.image),
        "from": update.from_value,
        "to": update.to_value,
        "to_short": short,
        "tag": tag,
        "file": update.file,
        "kind": update.kind,
    }
    return cap_title(
        render_template(digest_template if update.kind == "digest" else template, values)
    )


def group_title(count: int, scope: str) -> str:
    """Title of a grouped PR, e.g. ``chore(deps): update 3 docker base images in Dockerfile``."""
    noun = "image" if count == 1 else "images"
    return cap_title(f"chore(deps): update {count} docker base {noun} in {scope}")


def commit_message(title: str, keys: Iterable[str]) -> str:
    """Commit message: the title, a blank line, one ``Base-Image-Bot-Update: <key>`` trailer per key."""
    trailers = "\n".join(f"{COMMIT_TRAILER}: {key}" for key in sorted(set(keys)))
    return f"{title}\n\n{trailers}\n" if trailers else f"{title}\n"


def is_bot_commit_message(message: str) -> bool:
    """True when a commit message carries our trailer."""
    return _TRAILER_RE.search(message) is not None
