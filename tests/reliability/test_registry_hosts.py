"""What only real registries do, replayed on loopback and driven through the CLI.

Each fake below (:class:`~tests.registry.fakeserver.FakeServer`) answers the way a recorded real
exchange says that registry answers; the source is cited next to it. Every test runs
``base-image-bot run --dry-run`` and checks the report.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.reliability.conftest import RunCli
from tests.reliability.harness import Outcome, write_tree
from tests.support.images import Pusher
from tests.support.ports import LOOPBACK
from tests.support.registry import RunningRegistry, unique_repo_name

TOKEN = "CANARY-registry-token-6d1f"
TOKEN_ENV = "BIB_TEST_REGISTRY_TOKEN"
UNAUTHORIZED = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _json(document: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps(document).encode(),
    )


def _query(seen: Seen) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(seen.path).query).items()}


def _run(cli: RunCli, tmp_path: Path, files: dict[str, str], config: str) -> Outcome:
    tree = write_tree(tmp_path / "tree", files)
    path = tmp_path / "config.yaml"
    path.write_text(config, encoding="utf-8")
    return cli("run", "--dry-run", tree, "--config", path, "--format", "json")


def _insecure(*hosts: str) -> str:
    return "registries: {" + ", ".join(f"'{h}': {{insecure: true}}" for h in hosts) + "}\n"


def _proposed(result: Outcome) -> dict[str, object]:
    return {str(u["path"]): u["proposed"] for u in result.records("updates")}


def _errors(result: Outcome) -> dict[str, str]:
    return {str(e["path"]): str(e["error"]) for e in result.records("errors")}


# -- the auth scheme comes from the registry's challenge, not its host name -----------------------


def test_a_token_goes_as_basic_where_the_challenge_asks_for_basic(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECR's challenge is Basic (recorded in Renovate's docker datasource, ``common.ts``:
    ``Www-Authenticate: Basic realm="https://123456789.dkr.ecr.eu-central-1.amazonaws.com/",
    service="ecr.amazonaws.com"``). A ``token_env`` on a host the bot does not recognise by name
    goes as Basic ``AWS:<token>`` because the challenge says Basic (it used to go as Bearer,
    and fail)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with FakeServer() as registry:
        challenge = f'Basic realm="https://{registry.host}/",service="ecr.amazonaws.com"'

        def route(seen: Seen) -> Reply:
            if seen.headers.get("Authorization") != _basic("AWS", TOKEN):
                return Reply(401, {"WWW-Authenticate": challenge}, UNAUTHORIZED)
            return _json({"name": "team/app", "tags": ["1.0.0", "1.0.1"]})

        registry.routes["/v2/"] = route
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/team/app:1.0.0\n"},
            f"registries: {{'{registry.host}': {{username: AWS, token_env: {TOKEN_ENV}, "
            "insecure: true}}\n",
        )
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "1.0.1", "digest": None}}


def test_a_token_is_exchanged_at_the_realm_where_the_challenge_asks_for_bearer(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Artifact Registry / mirror.gcr.io style: ``Bearer realm=".../v2/token"`` without a
    ``service`` (watchtower PR #1895 records AR's challenge without one); the token endpoint
    takes Basic ``oauth2accesstoken:<access token>`` (Renovate's Google auth) and returns a
    registry token, which the registry wants as Bearer."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with FakeServer() as registry, FakeServer() as tokens:
        challenge = f'Bearer realm="{tokens.url}/v2/token"'
        registry.routes["/v2/"] = lambda seen: (
            _json({"name": "p/app", "tags": ["1.0.0", "1.0.1"]})
            if seen.headers.get("Authorization") == "Bearer registry-token"
            else Reply(401, {"WWW-Authenticate": challenge}, UNAUTHORIZED)
        )
        tokens.routes["/v2/token"] = lambda seen: (
            _json({"token": "registry-token", "expires_in": 3600})
            if seen.headers.get("Authorization") == _basic("oauth2accesstoken", TOKEN)
            else Reply(401, body=UNAUTHORIZED)
        )
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/p/app:1.0.0\n"},
            f"registries: {{'{registry.host}': {{username: oauth2accesstoken, "
            f"token_env: {TOKEN_ENV}, insecure: true}}, '{tokens.host}': {{insecure: true}}}}\n",
        )
        asked = [s for s in tokens.seen if s.path.startswith("/v2/token")]
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "1.0.1", "digest": None}}
    assert _query(asked[0]) == {"scope": "repository:p/app:pull"}


# -- tag-list page sizes ---------------------------------------------------------------------------


def _sorted_tags(count: int) -> list[str]:
    return sorted(f"1.0.{i}" for i in range(count))


def test_a_refused_page_size_is_asked_again_smaller(cli: RunCli, tmp_path: Path) -> None:
    """Quay answered 400 to ``n`` above 100 (akuity/kargo#2186) and pages with an opaque
    ``next_page`` in a relative ``Link`` (recorded in ivanilves/lstags#185:
    ``</v2/coreos/etcd/tags/list?next_page=gAAAA…&n=50>; rel="next"``)."""
    tags = _sorted_tags(150)
    with FakeServer() as registry:

        def route(seen: Seen) -> Reply:
            query = _query(seen)
            if int(query.get("n", "50")) > 100:
                return Reply(400, body=b'{"errors":[{"code":"INVALID_REQUEST"}]}')
            if query.get("next_page") == "gAAAAABpage2":
                return _json({"name": "org/app", "tags": tags[100:]})
            link = '</v2/org/app/tags/list?next_page=gAAAAABpage2&n=100>; rel="next"'
            return _json({"name": "org/app", "tags": tags[:100]}, {"Link": link})

        registry.routes["/v2/org/app/tags/list"] = route
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/org/app:1.0.3\n"},
            _insecure(registry.host),
        )
        sizes = [_query(s).get("n") for s in registry.seen]
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "1.0.149", "digest": None}}
    assert sizes == ["1000", "100", "100"]


def test_ecr_style_405_for_more_than_1000_is_asked_again_with_1000(
    cli: RunCli, tmp_path: Path
) -> None:
    """ECR: 405 with ``Docker-Distribution-Api-Version`` and "Member must have value less than
    or equal to 1000" (the response Renovate's ``isECRMaxResultsError`` recognises)."""
    with FakeServer() as registry:

        def route(seen: Seen) -> Reply:
            n = int(_query(seen).get("n", "100"))
            if n > 1000:
                message = (
                    f"1 validation error detected: Value '{n}' at 'maxResults' failed to "
                    "satisfy constraint: Member must have value less than or equal to 1000"
                )
                return Reply(
                    405,
                    {"Docker-Distribution-Api-Version": "registry/2.0"},
                    json.dumps({"errors": [{"code": "UNSUPPORTED", "message": message}]}).encode(),
                )
            return _json({"name": "app", "tags": ["1.0.0", "1.0.1"]})

        registry.routes["/v2/app/tags/list"] = route
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/app:1.0.0\n"},
            _insecure(registry.host) + "lookup: {page_size: 5000}\n",
        )
        sizes = [_query(s).get("n") for s in registry.seen]
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "1.0.1", "digest": None}}
    assert sizes == ["5000", "1000"]


def _capped_registry(registry: FakeServer, tags: list[str], honours_last: bool) -> None:
    """ACR: pages of at most 1000 whatever ``n`` says (Azure/acr#749: "the parameter is ignored
    and always 1000 items are returned"), here without a ``Link`` header."""

    def route(seen: Seen) -> Reply:
        last = _query(seen).get("last") if honours_last else None
        start = tags.index(last) + 1 if last in tags else 0
        return _json({"name": "app", "tags": tags[start : start + 1000]})

    registry.routes["/v2/app/tags/list"] = route


def test_a_full_page_without_link_is_followed_with_last(cli: RunCli, tmp_path: Path) -> None:
    tags = sorted(f"2.{i // 1000}.{i % 1000}" for i in range(2300))
    with FakeServer() as registry:
        _capped_registry(registry, tags, honours_last=True)
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/app:2.2.0\n"},
            _insecure(registry.host),
        )
        pages = len(registry.seen)
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "2.2.299", "digest": None}}
    assert pages == 3


def test_a_full_page_without_link_that_ignores_last_is_reported_as_maybe_truncated(
    cli: RunCli, tmp_path: Path
) -> None:
    tags = sorted(f"2.{i // 1000}.{i % 1000}" for i in range(2300))
    with FakeServer() as registry:
        _capped_registry(registry, tags, honours_last=False)
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/app:2.0.5\n"},
            _insecure(registry.host),
        )
    assert result.code == 0, result.err
    (use,) = result.report()["registries"]  # type: ignore[misc]
    assert any("may be truncated" in note for note in use["notes"]), use


def test_artifactory_next_link_without_the_virtual_repository_is_rebuilt(
    cli: RunCli, tmp_path: Path
) -> None:
    """Artifactory's ``next`` link drops ``/v2/<virtual repository>`` (RTFACT-18971); the
    exchange is Renovate's fixture in ``lib/modules/datasource/docker/index.spec.ts``:
    ``x-jfrog-version: Artifactory/7.42.2 74202900`` and
    ``link: </library/node/tags/list?n=10000&last=10000>; rel="next", ``."""
    first = [f"18.0.{i}" for i in range(1000)]
    second = ["18.1.0", "18.1.1"]
    with FakeServer() as registry:
        jfrog = {"x-jfrog-version": "Artifactory/7.42.2 74202900"}

        def route(seen: Seen) -> Reply:
            if _query(seen).get("last") == first[-1]:
                return _json({"name": "library/node", "tags": second}, jfrog)
            link = f'</library/node/tags/list?n=1000&last={first[-1]}>; rel="next", '
            return _json({"name": "library/node", "tags": first}, {**jfrog, "Link": link})

        registry.routes["/v2/virtual-mirror/library/node/tags/list"] = route
        result = _run(
            cli,
            tmp_path,
            {"Dockerfile": f"FROM {registry.host}/virtual-mirror/library/node:18.0.3\n"},
            _insecure(registry.host) + "policy: {update_types: [patch, minor]}\n",
        )
        paths = registry.paths()
    assert result.code == 0, result.err
    assert _proposed(result) == {"Dockerfile": {"tag": "18.1.1", "digest": None}}
    assert all(p.startswith("/v2/virtual-mirror/library/node/tags/list") for p in paths), paths


# -- errors that say what is wrong -----------------------------------------------------------------


def _token_registry(
    registry: FakeServer, tokens: FakeServer, service: str, allowed: Callable[[str], bool]
) -> None:
    """A Bearer registry with a token service, like Docker Hub's and GHCR's."""
    challenge = f'Bearer realm="{tokens.url}/token",service="{service}"'

    def route(seen: Seen) -> Reply:
        repo = seen.path.split("/v2/", 1)[1].rsplit("/tags/list", 1)[0]
        auth = seen.headers.get("Authorization", "")
        scoped = f'{challenge},scope="repository:{repo}:pull"'
        if not auth:
            return Reply(401, {"WWW-Authenticate": scoped}, UNAUTHORIZED)
        if not allowed(repo):
            # distribution/distribution#2376 (Docker Hub, unknown repository, with a token):
            # 401, error="insufficient_scope", UNAUTHORIZED "authentication required".
            scoped += ',error="insufficient_scope"'
            return Reply(401, {"WWW-Authenticate": scoped}, UNAUTHORIZED)
        return _json({"name": repo, "tags": ["1.0.0", "1.0.1"]})

    registry.routes["/v2/"] = route


def test_an_unknown_repository_is_not_found_or_private_after_one_token(
    cli: RunCli, tmp_path: Path
) -> None:
    """Docker Hub hands out anonymous tokens for any name and then answers 401
    ``insufficient_scope`` for a repository that does not exist (distribution#2376)."""
    with FakeServer() as registry, FakeServer() as tokens:
        _token_registry(registry, tokens, "registry.docker.io", lambda r: r != "library/nosuch")
        tokens.routes["/token"] = lambda seen: _json({"token": "anon", "expires_in": 300})
        result = _run(
            cli,
            tmp_path,
            {
                "a/Dockerfile": "FROM nosuch:1.0.0\n",
                "b/Dockerfile": "FROM nosuch:1.0.0 AS two\nFROM python:1.0.0\n",
            },
            _insecure(registry.host, tokens.host)
            + f"registry_aliases: {{docker.io: '{registry.host}'}}\n",
        )
        scopes = [_query(s).get("scope") for s in tokens.seen]
    assert result.code == 1, result.err
    errors = _errors(result)
    assert set(errors) == {"a/Dockerfile", "b/Dockerfile"}
    for message in errors.values():
        assert "not found or private: credentials needed for docker.io/library/nosuch" in message
    assert scopes.count("repository:library/nosuch:pull") == 1
    assert _proposed(result) == {"b/Dockerfile": {"tag": "1.0.1", "digest": None}}


def test_a_private_ghcr_package_says_credentials_are_needed_after_one_token_request(
    cli: RunCli, tmp_path: Path
) -> None:
    """GHCR refuses an anonymous token for a private package with 401 at the token endpoint
    (openai/tunnel-client#75: ``curl 'https://ghcr.io/token?scope=repository:…:pull&
    service=ghcr.io'`` → 401); its challenge carries a placeholder scope (Renovate ``common.ts``:
    ``Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"``)."""
    with FakeServer() as registry, FakeServer() as tokens:
        challenge = f'Bearer realm="{tokens.url}/token",service="ghcr.io",scope="repository:user/image:pull"'
        registry.routes["/v2/"] = lambda seen: (
            _json({"name": "owner/public", "tags": ["1.0.0", "1.0.1"]})
            if seen.headers.get("Authorization") == "Bearer public-token"
            else Reply(401, {"WWW-Authenticate": challenge}, UNAUTHORIZED)
        )
        tokens.routes["/token"] = lambda seen: (
            _json({"token": "public-token"})
            if _query(seen).get("scope") == "repository:owner/public:pull"
            else Reply(401, body=UNAUTHORIZED)
        )
        result = _run(
            cli,
            tmp_path,
            {
                "a/Dockerfile": f"FROM {registry.host}/owner/private:1.0.0\n",
                "b/Dockerfile": f"FROM {registry.host}/owner/public:1.0.0\n",
            },
            _insecure(registry.host, tokens.host),
        )
        scopes = [_query(s).get("scope") for s in tokens.seen]
    assert result.code == 1, result.err
    message = _errors(result)["a/Dockerfile"]
    assert f"not found or private: credentials needed for {registry.host}/owner/private" in message
    assert scopes.count("repository:owner/private:pull") == 1
    assert _proposed(result) == {"b/Dockerfile": {"tag": "1.0.1", "digest": None}}


def test_docker_hub_and_ghcr_token_answers_against_a_real_registry(
    registry_factory: Callable[..., RunningRegistry], cli: RunCli, tmp_path: Path
) -> None:
    """The same answers from CNCF Distribution with token auth: its token server
    (``tests/support/token_server.py``) plays Docker Hub (an empty-access token for an unknown
    repository: Distribution then answers 401 ``insufficient_scope``), GHCR (401 at the token
    endpoint for a private package) and both (no ``expires_in``: the JWT's ``exp`` decides).
    Each repository costs one token request for the whole run."""
    registry = registry_factory(auth="token", anonymous_pull=True)
    tokens = registry.token_server
    assert tokens is not None
    prefix = unique_repo_name("hub").replace("/", "-")
    with Pusher(registry) as pusher:
        pusher.push_tags(f"{prefix}/library/python", ["3.12.1", "3.12.2"], distinct=True)
        pusher.push_tags(f"{prefix}/owner/private", ["1.0.0", "1.0.1"], distinct=True)
    tokens.expires_in = None
    tokens.public = lambda name: not name.endswith(("/nosuch", "/private"))
    tokens.private = frozenset({f"{prefix}/owner/private"})
    before = tokens.request_count
    result = _run(
        cli,
        tmp_path,
        {
            "a/Dockerfile": "FROM python:3.12.1\nFROM nosuch:1.0.0\n",
            "b/Dockerfile": "FROM nosuch:1.0.0\nFROM owner/private:1.0.0\n",
        },
        _insecure(registry.host, f"{LOOPBACK}:{tokens.port}")
        + f"registry_aliases: {{docker.io: '{registry.host}/{prefix}'}}\n",
    )
    assert result.code == 1, result.err
    errors = {
        (str(e["path"]), str(e["reference"])): str(e["error"]) for e in result.records("errors")
    }
    needed = "not found or private: credentials needed for docker.io/"
    assert errors.keys() == {
        ("a/Dockerfile", "nosuch:1.0.0"),
        ("b/Dockerfile", "nosuch:1.0.0"),
        ("b/Dockerfile", "owner/private:1.0.0"),
    }, errors
    assert needed + "library/nosuch" in errors[("b/Dockerfile", "nosuch:1.0.0")]
    assert needed + "owner/private" in errors[("b/Dockerfile", "owner/private:1.0.0")]
    assert (
        f"configure registries.{registry.host} or docker login"
        in errors[("b/Dockerfile", "nosuch:1.0.0")]
    )
    assert _proposed(result) == {"a/Dockerfile": {"tag": "3.12.2", "digest": None}}
    scopes = [scope for r in tokens.requests[before:] for scope in r.scopes]
    assert sorted(scopes) == sorted(
        f"repository:{prefix}/{name}:pull"
        for name in ("library/python", "library/nosuch", "owner/private")
    )
