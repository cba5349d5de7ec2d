"""Hostile registries through the CLI: no credential to a stranger, bounded time and memory.

Each test is an attack on ``base-image-bot run --dry-run`` from a loopback fake registry
(:class:`~tests.registry.fakeserver.FakeServer`, for what Distribution cannot do) and checks that
the attacked references are clear errors while everything else in the run proceeds:

* a registry redirects to another origin, which answers 401 with its own challenge: the bot
  must never learn that challenge, never send the registry's credentials there (plain HTTP and
  TLS with a CA made here), and must name both hosts;
* replies sent one byte at a time (body, headers, token endpoint) end at ``lookup.request_deadline``
  as timeouts naming the host;
* a tag list longer than ``lookup.max_tags`` is refused (no update from part of a list);
* a rate-limit storm: once the host is marked rate-limited, lookups already sitting out a
  ``Retry-After`` are cancelled at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.tlsca import LocalCA
from tests.reliability.conftest import RunCli
from tests.reliability.harness import ONE_LINE, Outcome, write_tree

PASSWORD = "CANARY-hostile-registry-password-41c9"
PASSWORD_ENV = "BIB_TEST_REGISTRY_PASSWORD"


def _tags(*tags: str) -> Reply:
    return Reply(headers={"Content-Type": "application/json"}, body=_tag_body(tags))


def _tag_body(tags: tuple[str, ...] | list[str], name: str = "app") -> bytes:
    return json.dumps({"name": name, "tags": list(tags)}).encode()


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(cli: RunCli, tree: Path, config: Path) -> Outcome:
    return cli("run", "--dry-run", tree, "--config", config, "--format", "json")


def _errors(result: Outcome) -> dict[str, str]:
    return {str(e["path"]): str(e["error"]) for e in result.records("errors")}


def _updated(result: Outcome) -> set[str]:
    return {str(u["path"]) for u in result.records("updates")}


# -- 1. credentials never go to a realm a redirect target picks ----------------------------------


@pytest.fixture(scope="module")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def redirecting(
    request: pytest.FixtureRequest, local_ca: LocalCA
) -> Iterator[tuple[FakeServer, FakeServer, str]]:
    """A registry whose tag list 307s to an attacker origin; the attacker answers 401 with its
    own challenge (``request.param``: ``http-bearer``, ``https-basic`` …)."""
    scheme, challenge = str(request.param).split("-")
    tls = scheme == "https"
    with (
        FakeServer(tls=local_ca.server_context("registry") if tls else None) as registry,
        FakeServer(tls=local_ca.server_context("attacker") if tls else None) as attacker,
    ):
        header = (
            f'Bearer realm="{attacker.url}/token",service="evil.example"'
            if challenge == "bearer"
            else 'Basic realm="evil"'
        )
        registry.routes["/v2/app/tags/list"] = lambda seen: Reply(
            307, {"Location": f"{attacker.url}{seen.path}"}
        )
        registry.routes["/v2/other/tags/list"] = lambda seen: _tags("1.0.0", "1.0.1")
        attacker.routes["/v2/"] = lambda seen: Reply(401, {"WWW-Authenticate": header})
        attacker.routes["/token"] = lambda seen: Reply(body=b'{"token": "attacker-token"}')
        yield registry, attacker, scheme


@pytest.mark.parametrize(
    "redirecting",
    ["http-bearer", "http-basic", "https-bearer", "https-basic"],
    indirect=True,
)
def test_a_redirect_target_never_picks_where_credentials_go(
    redirecting: tuple[FakeServer, FakeServer, str],
    local_ca: LocalCA,
    cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry, attacker, scheme = redirecting
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    tls = f"ca_bundle: {local_ca.ca_path}" if scheme == "https" else "insecure: true"
    config = _config(
        tmp_path,
        "registries:\n"
        f"  '{registry.host}': {{username: bot, password_env: {PASSWORD_ENV}, {tls}}}\n"
        f"  '{attacker.host}': {{{tls}}}\n",
    )
    tree = write_tree(
        tmp_path / "tree",
        {
            "app/Dockerfile": f"FROM {registry.host}/app:1.0.0\n",
            "other/Dockerfile": f"FROM {registry.host}/other:1.0.0\n",
        },
    )

    result = _run(cli, tree, config)

    assert result.code == 1, result.err
    errors = _errors(result)
    assert set(errors) == {"app/Dockerfile"}
    message = errors["app/Dockerfile"]
    assert ONE_LINE.match(message)
    assert registry.host in message, message
    assert attacker.host in message, message
    assert "credentials" in message
    assert not [s for s in attacker.seen if s.path.startswith("/token")], "token asked"
    assert not [s for s in attacker.seen if "Authorization" in s.headers], "credentials sent"
    assert _updated(result) == {"other/Dockerfile"}  # the registry's own lookups still work
    assert PASSWORD not in result.out + result.err


# -- 5. a total deadline per request --------------------------------------------------------------


def _slow_tree(tmp_path: Path, host: str) -> Path:
    return write_tree(
        tmp_path / "tree",
        {
            "slow/Dockerfile": f"FROM {host}/slow:1.0\n",
            "fast/Dockerfile": f"FROM {host}/fast:1.0.0\n",
        },
    )


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_reply_sent_one_byte_at_a_time_ends_at_the_request_deadline(
    part: str, cli: RunCli, tmp_path: Path
) -> None:
    """The per-read timeout (1 s here) never fires on a byte every 0.2 s; the deadline does."""
    with FakeServer() as registry:
        body = _tag_body(["1.0.0", "1.0.1", *(f"nightly-{i}" for i in range(20))])
        registry.routes["/v2/slow/tags/list"] = lambda seen: Reply(
            headers={"Content-Type": "application/json"},
            body=body,
            drip=0.2,
            drip_headers=part == "headers",
        )
        registry.routes["/v2/fast/tags/list"] = lambda seen: _tags("1.0.0", "1.0.1")
        config = _config(
            tmp_path,
            f"registries: {{'{registry.host}': {{insecure: true}}}}\n"
            "lookup: {request_deadline: 1.5, read_timeout: 1}\n",
        )
        result = _run(cli, _slow_tree(tmp_path, registry.host), config)

    assert result.code == 1, result.err
    message = _errors(result)["slow/Dockerfile"]
    assert f"request to {registry.host} timed out" in message, message
    assert "lookup.request_deadline" in message
    assert _updated(result) == {"fast/Dockerfile"}


def test_a_token_endpoint_sent_one_byte_at_a_time_ends_at_the_request_deadline(
    cli: RunCli, tmp_path: Path
) -> None:
    with FakeServer() as registry, FakeServer() as tokens:
        challenge = f'Bearer realm="{tokens.url}/token",service="slow"'

        def tags(seen: Seen) -> Reply:
            if "Authorization" not in seen.headers:
                return Reply(401, {"WWW-Authenticate": challenge})
            return _tags("1.0.0", "1.0.1")

        registry.routes["/v2/"] = tags
        tokens.routes["/token"] = lambda seen: Reply(
            body=b'{"token": "' + b"t" * 60 + b'"}', drip=0.2
        )
        config = _config(
            tmp_path,
            f"registries: {{'{registry.host}': {{insecure: true}}, "
            f"'{tokens.host}': {{insecure: true}}}}\n"
            "lookup: {request_deadline: 1.5, read_timeout: 1}\n",
        )
        tree = write_tree(
            tmp_path / "tree", {"app/Dockerfile": f"FROM {registry.host}/app:1.0.0\n"}
        )
        result = _run(cli, tree, config)

    assert result.code == 1, result.err
    message = _errors(result)["app/Dockerfile"]
    assert f"request to {tokens.host} timed out" in message, message
    assert "lookup.request_deadline" in message


# -- 6. the total size of a tag listing -----------------------------------------------------------


def _paged(registry: FakeServer, repo: str, pages: list[list[str]]) -> None:
    """``repo``'s tag list in ``pages``, chained with relative ``Link`` headers."""

    def route(seen: Seen) -> Reply:
        index = int(seen.path.split("page=")[1].split("&")[0]) if "page=" in seen.path else 0
        headers = {"Content-Type": "application/json"}
        if index + 1 < len(pages):
            headers["Link"] = f'</v2/{repo}/tags/list?n=1000&page={index + 1}>; rel="next"'
        return Reply(headers=headers, body=_tag_body(pages[index], repo))

    registry.routes[f"/v2/{repo}/tags/list"] = route


def test_a_tag_list_longer_than_max_tags_is_refused_and_reported(
    cli: RunCli, tmp_path: Path
) -> None:
    with FakeServer() as registry:
        _paged(registry, "big", [[f"1.{p}.{i}" for i in range(700)] for p in range(3)])
        registry.routes["/v2/fast/tags/list"] = lambda seen: _tags("1.0.0", "1.0.1")
        config = _config(
            tmp_path,
            f"registries: {{'{registry.host}': {{insecure: true}}}}\nlookup: {{max_tags: 1000}}\n",
        )
        tree = write_tree(
            tmp_path / "tree",
            {
                "big/Dockerfile": f"FROM {registry.host}/big:1.0.0\n",
                "fast/Dockerfile": f"FROM {registry.host}/fast:1.0.0\n",
            },
        )
        result = _run(cli, tree, config)
        pages_read = len([p for p in registry.paths() if p.startswith("/v2/big/")])

    assert result.code == 1, result.err
    message = _errors(result)["big/Dockerfile"]
    assert "more than 1000 tags (lookup.max_tags)" in message, message
    assert pages_read == 2  # stopped as soon as the cap was passed
    assert _updated(result) == {"fast/Dockerfile"}


@pytest.mark.slow
def test_six_million_tags_in_three_pages_stop_at_the_default_cap(
    cli: RunCli, tmp_path: Path
) -> None:
    """The reported attack: 6,000,000 tags in 3 pages, each under the 32 MiB page cap."""
    with FakeServer() as registry:
        pages = [[f"n{p}-{i:07d}" for i in range(2_000_000)] for p in range(3)]
        bodies = [_tag_body(page, "big") for page in pages]
        del pages

        def route(seen: Seen) -> Reply:
            index = int(seen.path.split("page=")[1]) if "page=" in seen.path else 0
            headers = {"Content-Type": "application/json"}
            if index < 2:
                headers["Link"] = f'</v2/big/tags/list?page={index + 1}>; rel="next"'
            return Reply(headers=headers, body=bodies[index])

        registry.routes["/v2/big/tags/list"] = route
        config = _config(tmp_path, f"registries: {{'{registry.host}': {{insecure: true}}}}\n")
        tree = write_tree(tmp_path / "tree", {"big/Dockerfile": f"FROM {registry.host}/big:1.0\n"})
        result = _run(cli, tree, config)
        pages_read = len(registry.paths())

    assert result.code == 1, result.err
    assert "200000 tags (lookup.max_tags)" in _errors(result)["big/Dockerfile"]
    assert pages_read == 1


# -- 10. rate-limit storms ------------------------------------------------------------------------


def test_a_rate_limit_storm_cancels_the_lookups_waiting_for_that_host(
    cli: RunCli, tmp_path: Path
) -> None:
    """Six references pinned by digest: their tag lists work, then the manifest requests of the
    new tags are rate-limited. Five get ``Retry-After: 30`` and sit it out; the sixth, answered
    last, gets a ``Retry-After`` beyond ``lookup.max_retry_after``, which marks the host: the
    five are cancelled at once, without another request, instead of sleeping through the pause.
    (The server answers the five only once the sixth request has arrived, so it is in flight.)"""
    repos = [f"r{i}" for i in range(6)]
    last_arrived = threading.Event()
    limited = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'

    def storm(seen: Seen) -> Reply:
        last_arrived.wait(5)
        return Reply(429, {"Retry-After": "30"}, limited)

    def last(seen: Seen) -> Reply:
        last_arrived.set()
        return Reply(429, {"Retry-After": "3600"}, limited, delay=0.5)

    with FakeServer() as registry:
        for repo in repos:
            registry.routes[f"/v2/{repo}/tags/list"] = lambda seen: _tags("1.0.0", "1.0.1")
            registry.routes[f"/v2/{repo}/manifests/"] = storm if repo != "r5" else last
        config = _config(
            tmp_path,
            f"registries: {{'{registry.host}': {{insecure: true}}}}\n"
            "lookup: {concurrency_per_host: 8, max_workers: 8}\n",
        )
        pin = "sha256:" + "ab" * 32
        tree = write_tree(
            tmp_path / "tree",
            {f"{r}/Dockerfile": f"FROM {registry.host}/{r}:1.0.0@{pin}\n" for r in repos},
        )
        result = _run(cli, tree, config)
        manifests = {
            r: len([p for p in registry.paths() if f"/{r}/manifests/" in p]) for r in repos
        }

    assert result.code == 1, result.err
    errors = _errors(result)
    assert set(errors) == {f"{r}/Dockerfile" for r in repos}
    assert all("rate-limited" in message for message in errors.values()), errors
    cancelled = [r for r in repos if "cancelled while waiting" in errors[f"{r}/Dockerfile"]]
    assert cancelled == repos[:5], errors
    assert manifests == dict.fromkeys(repos, 1)
