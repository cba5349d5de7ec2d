"""GitHub Packages webhooks (GitHub's documented payloads) and what the service decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lineage.events import PackageVersion, package_version
from bot.reposettings import RepoSettings
from bot.service.webhook import decide

DATA = Path(__file__).resolve().parent.parent / "data" / "webhooks"


def _decide(event: str, body: bytes) -> tuple[str, str | None, str]:
    d = decide(event, body, include=("Dockerfile",), branch_prefix="base-image-bot",
               repos=(RepoSettings("acme/app"),))  # fmt: skip
    return d.action, d.image, d.reason


@pytest.mark.parametrize(
    ("event", "name"),
    [("registry_package", "registry_package.published.docker.json"),
     ("package", "package.published.docker.json")],
)  # fmt: skip
def test_documented_payloads_name_the_image_and_version(event: str, name: str) -> None:
    payload = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert package_version(event, payload) == PackageVersion(
        "ghcr.io/codertocat/hello-world", None, "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b"
    )
    # Not a configured repository: package events are about the image, not the repository.
    action, image, reason = _decide(event, json.dumps(payload).encode())
    assert (action, image) == ("package", "ghcr.io/codertocat/hello-world")
    assert (
        reason == "ghcr.io/codertocat/hello-world: sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b"
    )


def test_a_tagged_version_and_what_is_ignored() -> None:
    payload = json.loads((DATA / "registry_package.published.docker.json").read_text("utf-8"))
    package = payload["registry_package"]
    package["package_version"]["container_metadata"]["tag"]["name"] = "1.5"
    package["package_version"]["package_url"] = "ghcr.io/acme/python-base:1.5"
    assert package_version("registry_package", payload) == PackageVersion(
        "ghcr.io/acme/python-base", "1.5", "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b"
    )
    del package["package_version"]["package_url"]
    package["owner"]["login"], package["name"] = "Acme", "python-base"
    found = package_version("registry_package", payload)
    assert isinstance(found, PackageVersion)
    assert found.image == "ghcr.io/acme/python-base"
    assert package_version("registry_package", {**payload, "action": "deleted"}) == (
        "not a published or updated package"
    )
    npm = {**package, "ecosystem": "npm", "package_type": "npm"}
    assert package_version("registry_package", {**payload, "registry_package": npm}) == (
        "not a container package"
    )
    assert _decide("registry_package", b"[]")[0] == "bad_request"


@given(st.recursive(st.none() | st.text(max_size=20) | st.integers(),
                    lambda inner: st.dictionaries(st.sampled_from(
                        ["action", "registry_package", "package", "package_version", "package_url",
                         "container_metadata", "tag", "name", "digest", "ecosystem", "owner",
                         "login", "version", "package_type"]), inner, max_size=5),
                    max_leaves=30))  # fmt: skip
def test_arbitrary_payloads_never_raise(payload: object) -> None:
    for event in ("registry_package", "package"):
        action = _decide(event, json.dumps(payload).encode())[0]
        assert action in {"package", "ignore", "bad_request"}
