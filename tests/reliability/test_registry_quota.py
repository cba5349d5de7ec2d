"""Docker Hub's pull quota and pull-through mirrors, through the CLI against a real registry.

A fault proxy in front of CNCF Distribution plays Docker Hub's pull accounting
(:class:`~tests.support.faultproxy.PullQuota`, modelled on Docker's usage docs): manifest GETs
are pulls, HEADs are not, manifest replies carry ``ratelimit-limit`` / ``ratelimit-remaining``,
a GET past the limit gets 429. A second fault proxy plays a pull-through cache whose tag list
holds only the tags someone pulled (Harbor proxy projects, Artifactory remote repositories).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    PYTHON_NEW,
    PYTHON_OLD,
    Outcome,
    SeededImages,
    write_tree,
)
from tests.support.faultproxy import FaultProxy, tag_list_body
from tests.support.images import Pusher
from tests.support.manifests import ImageSpec
from tests.support.registry import RunningRegistry, unique_repo_name

pytestmark = pytest.mark.registry


@dataclass(frozen=True)
class MultiArch:
    """``hub/library/python`` 3.12.1 and 3.12.2 as two-platform indexes (and their children),
    plus four single-platform repositories ``lib0..lib3`` with 1.0.0 and 1.0.1."""

    prefix: str
    index: dict[str, str]  # tag -> index digest
    amd64: dict[str, str]  # tag -> linux/amd64 child digest
    libs: dict[str, dict[str, str]]  # repository -> tag -> digest


@pytest.fixture(scope="module")
def multiarch(registry: RunningRegistry) -> MultiArch:
    prefix = unique_repo_name("quota").replace("/", "-")
    index: dict[str, str] = {}
    amd64: dict[str, str] = {}
    libs: dict[str, dict[str, str]] = {}
    with Pusher(registry) as pusher:
        for tag in ("3.12.1", "3.12.2"):
            spec = ImageSpec(media="oci", annotations={"org.opencontainers.image.version": tag})
            pushed = pusher.push_multiarch(f"{prefix}/library/python", [tag], spec=spec)
            index[tag] = pushed.digest
            amd64[tag] = next(c.digest for c in pushed.children if c.platform == "linux/amd64")
        for n in range(4):
            pushed_tags = pusher.push_tags(
                f"{prefix}/library/lib{n}",
                ["1.0.0", "1.0.1"],
                dataclasses.replace(ImageSpec(), labels={"n": str(n)}),
                distinct=True,
            )
            libs[f"lib{n}"] = {tag: image.digest for tag, image in pushed_tags.items()}
    return MultiArch(prefix, index, amd64, libs)


def _run(cli: RunCli, tree: Path, proxy: FaultProxy, prefix: str, config: Path) -> Outcome:
    return cli(
        "run",
        "--dry-run",
        tree,
        "--config",
        config,
        "--format",
        "json",
        "--registry-alias",
        f"docker.io={proxy.host}/{prefix}",
        "--insecure-registry",
        proxy.host,
    )


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text or "{}\n", encoding="utf-8")
    return path


def _by_path(result: Outcome, key: str) -> dict[str, dict[str, object]]:
    return {str(r["path"]): r for r in result.records(key)}


def _registry(result: Outcome, host: str) -> dict[str, object]:
    uses = result.report().get("registries", [])
    assert isinstance(uses, list)
    return next(u for u in uses if u["host"] == host)


def test_remaining_zero_stops_pulls_only_and_never_swaps_a_pinned_platform_for_the_index(
    multiarch: MultiArch, proxy: FaultProxy, cli: RunCli, tmp_path: Path
) -> None:
    """The first manifest GET uses the last pull; from then on every manifest reply says
    ``ratelimit-remaining: 0`` -- also the HEADs, which still work. A reference pinned to one
    platform's manifest needs that manifest's bytes: it becomes an error that suggests
    credentials, never the index digest (the lookup of the current digest is refused, which
    is not "the current digest is gone"). Everything that HEADs can answer is still updated."""
    quota = proxy.docker_hub_quota(limit=1)
    old_index, new_index = multiarch.index["3.12.1"], multiarch.index["3.12.2"]
    old_child, new_child = multiarch.amd64["3.12.1"], multiarch.amd64["3.12.2"]
    tree = write_tree(
        tmp_path / "tree",
        {
            "a_index/Dockerfile": f"FROM python:3.12.1@{old_index}\n",
            "b_platform/Dockerfile": f"FROM python:3.12.1@{old_child}\n",
            "c_tag/Dockerfile": "FROM python:3.12.1\n",
            "d_literal/Dockerfile": f"FROM --platform=linux/amd64 python:3.12.1@{old_child}\n",
        },
    )
    config = _config(tmp_path, "lookup: {max_workers: 1}\n")  # a_ first: it spends the pull

    result = _run(cli, tree, proxy, multiarch.prefix, config)

    assert result.code == 1, result.err
    errors = _by_path(result, "errors")
    assert set(errors) == {"b_platform/Dockerfile"}
    message = str(errors["b_platform/Dockerfile"]["error"])
    assert f"pull limit of {proxy.host} is used up" in message, message
    assert f"configure credentials for {proxy.host}" in message
    updates = _by_path(result, "updates")
    proposed = {path: u["proposed"] for path, u in updates.items()}
    assert proposed == {
        "a_index/Dockerfile": {"tag": "3.12.2", "digest": new_index},
        "c_tag/Dockerfile": {"tag": "3.12.2", "digest": None},
        "d_literal/Dockerfile": {"tag": "3.12.2", "digest": new_child},
    }
    assert quota.pulls == 1
    assert quota.refused == 0, "the bot ran into the quota instead of stopping before it"
    use = _registry(result, proxy.host)
    assert (use["pulls"], use["ratelimit_remaining"]) == (1, 0)
    assert any("pull limit reached" in note for note in use["notes"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("verify", "pulls"),
    [("always", 2), ("unless-pull-quota", 1)],
    ids=["verify-always", "unless-pull-quota"],
)
def test_pulls_are_counted_and_stop_before_the_quota(
    verify: str,
    pulls: int,
    multiarch: MultiArch,
    proxy: FaultProxy,
    cli: RunCli,
    tmp_path: Path,
) -> None:
    """Four digest-pinned references move to a new tag, with 2 pulls left. ``always`` verifies
    every written digest with a GET: two are written, the other two stop before the quota with
    a message that suggests credentials. ``unless-pull-quota`` (the default) needs one GET --
    the first, before the registry's headers show it counts pulls -- and HEADs for the rest."""
    quota = proxy.docker_hub_quota(limit=2)
    tree = write_tree(
        tmp_path / "tree",
        {
            f"{lib}/Dockerfile": f"FROM {lib}:1.0.0@{digests['1.0.0']}\n"
            for lib, digests in multiarch.libs.items()
        },
    )
    config = _config(tmp_path, f"lookup: {{verify_digests: {verify}, max_workers: 1}}\n")

    result = _run(cli, tree, proxy, multiarch.prefix, config)

    updates = _by_path(result, "updates")
    errors = _by_path(result, "errors")
    for path, update in updates.items():
        lib = path.split("/")[0]
        assert update["proposed"] == {"tag": "1.0.1", "digest": multiarch.libs[lib]["1.0.1"]}
    if verify == "always":
        assert (len(updates), len(errors), result.code) == (2, 2, 1)
        for record in errors.values():
            assert f"configure credentials for {proxy.host}" in str(record["error"])
    else:
        assert (len(updates), len(errors), result.code) == (4, 0, 0)
    assert quota.pulls == pulls
    assert quota.refused == 0
    assert _registry(result, proxy.host)["pulls"] == pulls


# -- pull-through mirrors -------------------------------------------------------------------------


@pytest.fixture
def cache_proxy(seeded: SeededImages) -> Iterator[FaultProxy]:
    """A pull-through cache in front of the registry: its tag list of python holds only the tag
    that was pulled through it, while every manifest is served (a cache fetches on demand)."""
    with FaultProxy(seeded.registry.host) as running:
        running.inject(
            "GET",
            re.escape(seeded.path("python")) + "tags/list",
            action="replace_body",
            body=tag_list_body("python", [PYTHON_OLD]),
            times=None,
        )
        yield running


def _mirror_tree(tmp_path: Path, seeded: SeededImages) -> Path:
    image = f"{seeded.registry.host}/{seeded.prefix}/library/python"
    return write_tree(tmp_path / "tree", {"svc/Dockerfile": f"FROM {image}:{PYTHON_OLD}\n"})


def test_a_mirror_listing_only_cached_tags_is_reported(
    seeded: SeededImages, cache_proxy: FaultProxy, cli: RunCli, tmp_path: Path
) -> None:
    upstream = seeded.registry.host
    config = _config(
        tmp_path,
        f"registry_aliases: {{'{upstream}': '{cache_proxy.host}'}}\n"
        f"registries: {{'{upstream}': {{insecure: true}}, '{cache_proxy.host}': {{insecure: true}}}}\n",
    )
    result = cli(
        "run", "--dry-run", _mirror_tree(tmp_path, seeded), "--config", config, "--format", "json"
    )

    assert result.code == 0, result.err
    assert result.records("updates") == []  # the cache hides the newer tags ...
    notes = _registry(result, cache_proxy.host)["notes"]
    assert any("looks like a pull-through cache" in n for n in notes), notes  # type: ignore[attr-defined]
    assert "list: upstream" in " ".join(notes)  # type: ignore[arg-type]


def test_list_upstream_lists_tags_upstream_and_resolves_digests_through_the_mirror(
    seeded: SeededImages, cache_proxy: FaultProxy, cli: RunCli, tmp_path: Path
) -> None:
    upstream = seeded.registry.host
    config = _config(
        tmp_path,
        f"registry_aliases: {{'{upstream}': {{mirror: '{cache_proxy.host}', list: upstream}}}}\n"
        f"registries: {{'{upstream}': {{insecure: true}}, '{cache_proxy.host}': {{insecure: true}}}}\n"
        "policy: {pin_digests: true}\n",
    )
    mark = seeded.registry.access_log.mark()
    result = cli(
        "run", "--dry-run", _mirror_tree(tmp_path, seeded), "--config", config, "--format", "json"
    )

    assert result.code == 0, result.err
    (update,) = result.records("updates")
    assert update["proposed"] == {"tag": PYTHON_NEW, "digest": seeded.python[PYTHON_NEW]}
    through_mirror = [r.target for r in cache_proxy.requests]
    assert not [t for t in through_mirror if "tags/list" in t]
    assert [t for t in through_mirror if f"manifests/{PYTHON_NEW}" in t]
    seeded.registry.access_log.sync()
    direct = [e.path for e in seeded.registry.access_log.since(mark)]
    assert any(p.endswith("/library/python/tags/list") for p in direct)
