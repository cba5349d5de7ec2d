"""Credentials: explicit env config, docker config.json auths/credHelpers/credsStore, host shapes."""

from __future__ import annotations

import base64
import json
import shlex
import stat
from pathlib import Path

import pytest
import responses
from responses import matchers

from bot.errors import ConfigError, RegistryAuthError
from bot.registry import CredentialResolver, HostSettings
from tests.registry.helpers import client, settings

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _write_config(directory: Path, data: dict[str, object]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(data), encoding="utf-8")
    return directory


def _fake_helper(bin_dir: Path, name: str, secrets: dict[str, tuple[str, str]]) -> Path:
    """A ``docker-credential-<name>`` shell script answering ``get`` from ``secrets``; it logs
    its arguments and the server URL read from stdin."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    log = bin_dir / f"{name}.log"
    cases = "".join(
        f"  {shlex.quote(server)}) printf '%s' {shlex.quote(json.dumps({'ServerURL': server, 'Username': u, 'Secret': s}))} ;;\n"
        for server, (u, s) in secrets.items()
    )
    script.write_text(
        "#!/bin/sh\n"
        "read -r server\n"
        f'echo "$* $server" >> {shlex.quote(str(log))}\n'
        '[ "$*" = get ] || exit 2\n'
        'case "$server" in\n'
        f"{cases}"
        "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
        "esac\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _resolver(config_dir: Path, bin_dir: Path | None = None) -> CredentialResolver:
    def which(name: str) -> str | None:
        path = (bin_dir / name) if bin_dir else None
        return str(path) if path is not None and path.exists() else None

    return CredentialResolver(
        settings(use_docker_config=True, docker_config_dir=str(config_dir)), environ={}, which=which
    )


def test_auths_base64_with_host_and_url_keys(tmp_path: Path) -> None:
    config = _write_config(
        tmp_path / "docker",
        {
            "auths": {
                "registry.example.com": {"auth": _b64("alice:s3cret")},
                "https://other.example.com/v1/": {"auth": _b64("bob:pa:ss")},
                "https://index.docker.io/v1/": {"auth": _b64("hubuser:hubpass")},
            }
        },
    )
    resolver = _resolver(config)
    alice = resolver.lookup("registry.example.com")
    assert alice is not None
    assert (alice.username, alice.secret, alice.kind) == ("alice", "s3cret", "basic")
    bob = resolver.lookup("OTHER.example.com")
    assert bob is not None
    assert (bob.username, bob.secret) == ("bob", "pa:ss")
    hub = resolver.lookup("registry-1.docker.io")
    assert hub is not None
    assert hub.username == "hubuser"
    assert resolver.lookup("unknown.example.com") is None


def test_cred_helpers_win_over_store_and_auths(tmp_path: Path) -> None:
    bins = tmp_path / "bin"
    _fake_helper(bins, "test", {"registry.example.com": ("helper-user", "helper-secret")})
    _fake_helper(bins, "store", {"https://index.docker.io/v1/": ("store-user", "store-secret")})
    config = _write_config(
        tmp_path / "docker",
        {
            "auths": {"registry.example.com": {"auth": _b64("auths-user:x")}},
            "credHelpers": {"registry.example.com": "test"},
            "credsStore": "store",
        },
    )
    resolver = _resolver(config, bins)
    helper = resolver.lookup("registry.example.com")
    assert helper is not None
    assert (helper.username, helper.secret, helper.source) == (
        "helper-user",
        "helper-secret",
        "docker-credential-test",
    )
    hub = resolver.lookup("docker.io")
    assert hub is not None
    assert (hub.username, hub.secret) == ("store-user", "store-secret")
    assert (bins / "test.log").read_text() == "get registry.example.com\n"
    assert (bins / "store.log").read_text() == "get https://index.docker.io/v1/\n"
    # memoised: the helper is not run again
    resolver.lookup("registry.example.com")
    assert (bins / "test.log").read_text().count("\n") == 1


def test_creds_store_not_found_falls_back_to_auths(tmp_path: Path) -> None:
    bins = tmp_path / "bin"
    _fake_helper(bins, "store", {})
    config = _write_config(
        tmp_path / "docker",
        {"credsStore": "store", "auths": {"registry.example.com": {"auth": _b64("a:b")}}},
    )
    found = _resolver(config, bins).lookup("registry.example.com")
    assert found is not None
    assert found.username == "a"


def test_identity_token_from_helper(tmp_path: Path) -> None:
    bins = tmp_path / "bin"
    _fake_helper(bins, "acr", {"myreg.azurecr.io": ("<token>", "refresh-xyz")})
    config = _write_config(tmp_path / "docker", {"credHelpers": {"myreg.azurecr.io": "acr"}})
    found = _resolver(config, bins).lookup("myreg.azurecr.io")
    assert found is not None
    assert found.kind == "identity"
    assert found.secret == "refresh-xyz"


def test_bad_helper_name_and_failing_helper(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "a", {"credsStore": "../../bin/sh"})
    with pytest.raises(ConfigError, match="not allowed"):
        _resolver(config).lookup("x.example.com")
    bins = tmp_path / "bin"
    bins.mkdir()
    broken = bins / "docker-credential-broken"
    broken.write_text("#!/bin/sh\necho 'leaky-secret-output' >&2\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    config = _write_config(tmp_path / "b", {"credsStore": "broken"})
    with pytest.raises(RegistryAuthError, match="exit 3") as info:
        _resolver(config, bins).lookup("x.example.com")
    assert "leaky" not in str(info.value)


def test_docker_config_env_var_and_malformed_file(tmp_path: Path) -> None:
    config = tmp_path / "docker"
    config.mkdir()
    (config / "config.json").write_text("{not json", encoding="utf-8")
    resolver = CredentialResolver(
        settings(use_docker_config=True), environ={"DOCKER_CONFIG": str(config)}
    )
    with pytest.raises(ConfigError, match="not valid JSON"):
        resolver.lookup("registry.example.com")


def test_explicit_config_comes_first_and_reads_env(tmp_path: Path) -> None:
    config = _write_config(
        tmp_path / "docker", {"auths": {"registry.example.com": {"auth": _b64("x:y")}}}
    )
    resolver = CredentialResolver(
        settings(
            use_docker_config=True,
            docker_config_dir=str(config),
            hosts=(HostSettings("registry.example.com", "ci", password_env="REG_PASS"),),
        ),
        environ={"REG_PASS": "from-env"},
    )
    found = resolver.lookup("registry.example.com")
    assert found is not None
    assert (found.username, found.secret, found.source) == ("ci", "from-env", "config")
    assert "from-env" not in repr(found)


def test_missing_env_variable_is_a_config_error() -> None:
    resolver = CredentialResolver(
        settings(hosts=(HostSettings("ghcr.io", token_env="GHCR_TOKEN"),)), environ={}
    )
    with pytest.raises(ConfigError, match="GHCR_TOKEN is not set"):
        resolver.lookup("ghcr.io")


@pytest.mark.parametrize(
    ("host", "token", "expected"),
    [
        (ECR, _b64("AWS:ecr-password"), ("AWS", "ecr-password", "basic")),
        (ECR, "raw-ecr-password", ("AWS", "raw-ecr-password", "basic")),
        ("gcr.io", "ya29.access", ("oauth2accesstoken", "ya29.access", "basic")),
        ("europe-west1-docker.pkg.dev", "ya29.ar", ("oauth2accesstoken", "ya29.ar", "basic")),
        ("ghcr.io", "ghp_pat", ("token", "ghp_pat", "basic")),
        ("registry.example.com", "opaque", ("token", "opaque", "basic")),
    ],
)
def test_token_env_shapes_per_known_host(
    host: str, token: str, expected: tuple[str, str, str]
) -> None:
    resolver = CredentialResolver(
        settings(hosts=(HostSettings(host, token_env="TOKEN"),)), environ={"TOKEN": token}
    )
    found = resolver.lookup(host)
    assert found is not None
    assert (found.username, found.secret, found.kind) == expected


@responses.activate
def test_ecr_basic_auth_on_the_wire() -> None:
    base = f"https://{ECR}/v2/app/tags/list?n=1000"
    responses.get(
        base,
        status=401,
        headers={"WWW-Authenticate": f'Basic realm="https://{ECR}/",service="ecr.amazonaws.com"'},
    )
    expected = "Basic " + _b64("AWS:ecr-password")
    responses.get(
        base, json={"tags": ["1"]}, match=[matchers.header_matcher({"Authorization": expected})]
    )
    c = client(
        environ={"ECR_TOKEN": _b64("AWS:ecr-password")},
        hosts=(HostSettings(ECR, token_env="ECR_TOKEN"),),
    )
    assert c.list_tags(ECR, "app").tags == ("1",)
    # a second repository on the same host authenticates up front: no new 401
    responses.get(
        f"https://{ECR}/v2/other/tags/list?n=1000",
        json={"tags": []},
        match=[matchers.header_matcher({"Authorization": expected})],
    )
    c.list_tags(ECR, "other")
    assert [call.response.status_code for call in responses.calls] == [401, 200, 200]


@responses.activate
def test_gcr_credentials_go_to_the_token_realm_only() -> None:
    responses.get(
        "https://gcr.io/v2/proj/app/tags/list?n=1000",
        status=401,
        headers={"WWW-Authenticate": "Bearer realm=https://gcr.io/v2/token,service=gcr.io"},
    )
    responses.get(
        "https://gcr.io/v2/token",
        json={"access_token": "gcr-bearer"},
        match=[
            matchers.header_matcher({"Authorization": "Basic " + _b64("oauth2accesstoken:ya29.x")}),
            matchers.query_param_matcher(
                {"service": "gcr.io", "scope": "repository:proj/app:pull"}
            ),
        ],
    )
    responses.get(
        "https://gcr.io/v2/proj/app/tags/list?n=1000",
        json={"tags": ["v1"]},
        match=[matchers.header_matcher({"Authorization": "Bearer gcr-bearer"})],
    )
    c = client(environ={"GCR": "ya29.x"}, hosts=(HostSettings("gcr.io", token_env="GCR"),))
    assert c.list_tags("gcr.io", "proj/app").tags == ("v1",)


@responses.activate
def test_ghcr_placeholder_scope_is_replaced_and_refusal_is_an_auth_error() -> None:
    responses.get(
        "https://ghcr.io/v2/owner/img/tags/list?n=1000",
        status=401,
        headers={
            "WWW-Authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"'
        },
    )
    responses.get(
        "https://ghcr.io/token",
        status=401,
        json={"errors": [{"code": "UNAUTHORIZED"}]},
        match=[
            matchers.query_param_matcher(
                {"service": "ghcr.io", "scope": "repository:owner/img:pull"}
            )
        ],
    )
    c = client(
        environ={"PAT": "ghp_supersecret"},
        hosts=(HostSettings("ghcr.io", token_env="PAT"),),
    )
    with pytest.raises(RegistryAuthError) as info:
        c.list_tags("ghcr.io", "owner/img")
    message = str(info.value)
    assert "may not pull ghcr.io/owner/img" in message
    assert "HTTP 401" in message
    assert "ghp_supersecret" not in message
    assert _b64("token:ghp_supersecret") not in message


@responses.activate
def test_basic_realm_without_credentials_is_an_auth_error() -> None:
    url = "https://registry.example.com/v2/app/tags/list?n=1000"
    responses.get(url, status=401, headers={"WWW-Authenticate": 'Basic realm="Artifactory Realm"'})
    with pytest.raises(RegistryAuthError, match="requires credentials"):
        client().list_tags("registry.example.com", "app")
    assert len(responses.calls) == 1
