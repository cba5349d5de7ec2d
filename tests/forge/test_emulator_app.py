"""GitHub App authentication in the emulator, driven through PyGithub's AppAuth."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, Github, GithubIntegration

from tests.github_emulator import GitHubEmulator

APP_ID = 4242


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _integration(emulator: GitHubEmulator, private: str) -> GithubIntegration:
    return GithubIntegration(
        auth=Auth.AppAuth(APP_ID, private),
        base_url=emulator.base_url,
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=None,
    )


def test_app_installation_token_flow(
    github_emulator: GitHubEmulator, keys: tuple[str, str]
) -> None:
    private, public = keys
    github_emulator.register_app(APP_ID, public)
    github_emulator.create_repo("acme/a", {"Dockerfile": "FROM a\n"}, owner_kind="Organization")
    github_emulator.create_repo("acme/b", {})
    github_emulator.create_repo("other/c", {})
    inst_id = github_emulator.install_app(APP_ID, "acme", repos=["acme/a"])

    integration = _integration(github_emulator, private)
    inst = integration.get_repo_installation("acme", "a")
    assert inst.id == inst_id
    gh = Github(
        base_url=github_emulator.base_url,
        auth=Auth.AppAuth(APP_ID, private).get_installation_auth(inst_id),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=None,
    )
    assert gh.get_repo("acme/a").default_branch == "main"
    repos = [r.full_name for r in inst.get_repos()]
    assert repos == ["acme/a"]
    token_requests = [r for r in github_emulator.requests if r.path.endswith("/access_tokens")]
    assert len(token_requests) >= 1
    assert all(r.status == 201 for r in token_requests)


def test_jwt_is_only_accepted_on_app_routes_and_must_verify(
    github_emulator: GitHubEmulator, keys: tuple[str, str]
) -> None:
    private, public = keys
    github_emulator.create_repo("acme/a", {})
    jwt_token = Auth.AppAuth(APP_ID, private).create_jwt()
    as_app = Github(
        base_url=github_emulator.base_url,
        auth=Auth.Token(jwt_token),
        retry=None,
        seconds_between_requests=None,
    )
    with pytest.raises(BadCredentialsException):
        as_app.get_repo("acme/a").default_branch  # noqa: B018 - unknown app: JWT does not verify
    github_emulator.register_app(APP_ID, public)
    with pytest.raises(BadCredentialsException):
        as_app.get_repo("acme/a").default_branch  # noqa: B018 - JWT on a non-App route
    github_emulator.install_app(APP_ID, "acme")
    assert (
        _integration(github_emulator, private).get_repo_installation("acme", "a").app_id == APP_ID
    )


def test_expired_installation_token_is_refused(
    github_emulator: GitHubEmulator, keys: tuple[str, str]
) -> None:
    private, public = keys
    github_emulator.register_app(APP_ID, public)
    github_emulator.create_repo("acme/a", {})
    inst_id = github_emulator.install_app(APP_ID, "acme")
    github_emulator.set_installation_token_ttl(0.5)
    token = _integration(github_emulator, private).get_access_token(inst_id).token
    gh = Github(
        base_url=github_emulator.base_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
    )
    assert gh.get_repo("acme/a").full_name == "acme/a"
    time.sleep(1.1)
    with pytest.raises(BadCredentialsException):
        gh.get_repo("acme/a")
