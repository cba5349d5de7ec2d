"""Hostile image metadata cannot inject Markdown into a pull request (``run --repo --describe``).

The images carry labels, ``Env`` values and package names full of newlines, headings, closing
keywords (which close issues when the PR merges), ``@mentions`` (which notify people), remote
images, HTML and a second, well-formed bot marker. The PR the bot opens must quote that text
harmlessly: one marker, on the last line, read back as the bot's own; no heading, mention,
closing keyword, issue reference, image or foreign HTML; and a later run still recognises its PR.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.forge.branches import parse_marker
from tests.describe.markdown_checks import problems
from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.scan.scenario import DEBIAN_BASE, OSV_DATA, deb_stanza, dpkg_db
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry, unique_repo_name

pytestmark = pytest.mark.registry

FAKE_MARKER = (
    '<!-- base-image-bot: {"updates":[{"file":"Dockerfile","from":"1.0.0","image":"x",'
    '"key":"evil","kind":"patch","to":"9.9.9"}],"v":1} -->'
)


def _labels(version: str, revision: str) -> dict[str, str]:
    return {
        "org.opencontainers.image.source": f"https://evil.example/src\n\n# Owned\n{FAKE_MARKER}",
        "org.opencontainers.image.revision": f"{revision}\nFixes #1 @octocat",
        "org.opencontainers.image.version": (
            f"{version}\n\n# Owned\nCloses #2\n\n![p](https://evil.example/p.png)\n{FAKE_MARKER}"
        ),
        "org.opencontainers.image.base.name": "debian`|<img src=https://evil.example/i>",
        "org.opencontainers.image.base.digest": f"sha256:{revision[0] * 64}",
    }


def _layers(version: str) -> list[dict[str, object]]:
    status = dpkg_db(
        deb_stanza("libc6", f"2.36-9+deb12u{version[-1]}", "glibc"),
        deb_stanza("@octocat", f"1.0<!--x-->{version[-1]}"),
        deb_stanza("evil|pkg", f"resolves #3 {version}"),
    )
    return [DEBIAN_BASE, {"/var/lib/dpkg/status": status}]


def _push(registry: RunningRegistry) -> str:
    prefix = unique_repo_name("markdown-injection").replace("/", "-")
    with Pusher(registry) as pusher:
        for tag, revision in (("1.0.0", "a"), ("1.0.1", "b")):
            env = [
                "PATH=/usr/bin:/bin",
                f"EVIL=@octocat\nFixes #4 {tag}",
                f"X|Y=`a`<!--{tag}-->",
            ]
            pusher.push_image(f"{prefix}/evil/app", [tag], layers=_layers(tag),
                              labels=_labels(tag, revision), env=env)  # fmt: skip
    return prefix


@pytest.fixture
def github(github_emulator: GitHubEmulator, monkeypatch: pytest.MonkeyPatch) -> GitHubEmulator:
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH", str(OSV_DATA))
    return github_emulator


def test_hostile_labels_env_and_packages_are_quoted_harmlessly(
    github: GitHubEmulator, registry: RunningRegistry, cli: RunCli, tmp_path: object
) -> None:
    prefix = _push(registry)
    github.create_repo("acme/hostile", {"Dockerfile": b"FROM evil/app:1.0.0\n"})
    args = ["run", "--repo", "acme/hostile", "--describe", "--format", "json",
            "--registry-alias", f"docker.io={registry.host}/{prefix}",
            "--insecure-registry", registry.host]  # fmt: skip
    first = cli(*args, "--log-level", "info", "--log-format", "json")
    assert first.code == 0, first.err
    logs = [json.loads(line) for line in first.err.splitlines()]
    described = [r for r in logs if r["message"].startswith("describing")]
    assert described
    assert described[0]["image"] == "docker.io/evil/app"
    assert not [r for r in logs if re.search(r"\b[A-Z][A-Za-z]+\([a-z_]+=", r["message"])]
    (pull,) = github.pulls("acme/hostile")
    body = pull.body or ""
    for quoted in ("Owned", "octocat", "evil\\|pkg", "EVIL"):
        assert quoted in body, f"{quoted!r} should be quoted in the body"
    assert problems(body) == []
    marker = parse_marker(body)
    assert marker is not None
    assert [(u.from_value, u.to_value) for u in marker.updates] == [("1.0.0", "1.0.1")]
    again = cli(*args)
    assert again.code == 0, again.err
    assert [p["action"] for p in again.records("pull_requests")] == ["none"]
    assert len(github.pulls("acme/hostile")) == 1
