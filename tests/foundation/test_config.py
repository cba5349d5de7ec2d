"""Configuration loading, validation, precedence and error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.config import Policy, PolicyOverrides, Settings, load_settings, schema
from bot.configcheck import check_document
from bot.configload import Positions
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_YAML = ROOT / "config" / "default.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ=environ or {})
    return str(info.value)


def test_default_yaml_is_valid_and_equals_built_in_defaults() -> None:
    settings = load_settings(DEFAULT_YAML, environ={})
    assert settings == Settings(source=str(DEFAULT_YAML))


def test_default_yaml_documents_every_schema_key_with_its_default() -> None:
    document = yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))

    def resolve(spec: dict[str, object]) -> dict[str, object]:
        ref = spec.get("$ref")
        if isinstance(ref, str):
            return {**schema()["$defs"][ref.removeprefix("#/$defs/")], **spec}
        return spec

    def check(value: object, spec: dict[str, object], where: str) -> None:
        spec = resolve(spec)
        if "default" in spec:
            assert value == spec["default"], where
        properties = spec.get("properties")
        if isinstance(properties, dict) and "default" not in spec:
            assert isinstance(value, dict), where
            assert set(value) == set(properties), where
            for key, sub in properties.items():
                check(value[key], sub, f"{where}.{key}")

    check(document, schema(), "")


def test_no_file_gives_defaults() -> None:
    assert load_settings(None, environ={}) == Settings()


def test_the_empty_document_is_valid_without_asking_a_validator() -> None:
    """Without a file, variable or flag the document is empty and no validator is loaded (a
    run's start-up): both validators accept it, every key having a default."""
    import jsonschema
    import jsonschema_rs

    assert jsonschema.Draft202012Validator(schema()).is_valid({})
    assert jsonschema_rs.Draft202012Validator(schema()).is_valid({})
    # Nor do the semantic checks find a problem in it (``validate`` skips them all for it).
    assert check_document({}, Positions(origin="<defaults>")) == []


def test_full_file_is_loaded(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            """
log_level: debug
discovery: {include: [Dockerfile], ignore: ["legacy/**"]}
policy: {update_types: [patch, minor, digest], pin_digests: true}
rules:
  - match: docker.io/library/node
    lts_only: true
registries:
  ghcr.io: {username: bot, token_env: GHCR_TOKEN}
  127.0.0.1:5000: {insecure: true}
registry_aliases: {docker.io: harbor.example.com/dockerhub}
repos:
  - acme/api
  - {name: acme/legacy, update_types: [digest]}
""",
        ),
        environ={},
    )
    assert settings.log_level == "debug"
    assert settings.include == ("Dockerfile",)
    assert settings.ignore == ("legacy/**",)
    assert settings.policy.update_types == ("patch", "minor", "digest")
    assert settings.policy.pin_digests is True
    assert settings.rules[0].match == "docker.io/library/node"
    assert settings.rules[0].overrides == PolicyOverrides(lts_only=True)
    assert settings.registry("ghcr.io").token_env == "GHCR_TOKEN"
    assert settings.registry("127.0.0.1:5000").insecure is True
    assert settings.registry("quay.io").insecure is False
    assert settings.registry_aliases == (("docker.io", "harbor.example.com/dockerhub"),)
    assert [r.name for r in settings.repos] == ["acme/api", "acme/legacy"]
    assert settings.policy.with_overrides(settings.repos[1].overrides).update_types == ("digest",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "repos:\n  - a/b\n  - c/d\n  - name: e/f\n    update_types: [pach]\n",
            "bot.yaml:5: repos[2].update_types[0]: 'pach' is not one of ['patch', 'minor', 'major', 'digest', 'pin', 'os', 'rolling', 'variant']",
        ),
        ("policy:\n  update_type: [patch]\n", "bot.yaml:2: policy.update_type: unknown key"),
        ("colour: blue\n", "bot.yaml:1: colour: unknown key 'colour'"),
        ("repos:\n - {name: a/b, bogus: 1}\n", "bot.yaml:2: repos[0].bogus: unknown key 'bogus'"),
        ("rules:\n  - update_types: [major]\n", "bot.yaml:2: rules[0]: 'match' is a required"),
        ("log_level: loud\n", "bot.yaml:1: log_level: 'loud' is not one of"),
        ("policy:\n  min_age_days: -1\n", "bot.yaml:2: policy.min_age_days: -1 is less than"),
        ("registries:\n  ghcr.io: {password: x}\n", "bot.yaml:2: registries.ghcr.io.password"),
        ("log_level: info\nlog_level: debug\n", "bot.yaml:2: log_level: duplicate key"),
        ("repos: [\n", "bot.yaml:2: invalid YAML"),
        ("- a\n- b\n", "bot.yaml:1: the configuration must be a mapping"),
        (
            "repos: [nobody]\n",
            "bot.yaml:1: repos[0]: 'nobody': expected OWNER/NAME, OWNER/* or */*",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / expected))
    assert "\n" not in message


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    assert "expands to more than" in error_of(tmp_path, "\n".join(lines) + "\n")


def test_oversized_file_is_rejected(tmp_path: Path) -> None:
    assert "larger than" in error_of(tmp_path, "# " + "x" * (1024 * 1024) + "\n")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_settings(tmp_path / "absent.yaml", environ={})


def test_precedence_flag_over_environment_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: warning\npolicy: {update_types: [digest]}\n")
    environ = {
        "BASE_IMAGE_BOT_LOG_LEVEL": "error",
        "BASE_IMAGE_BOT_POLICY__UPDATE_TYPES": "[patch, minor]",
        "BASE_IMAGE_BOT_CONFIG": "ignored-here.yaml",
        "UNRELATED": "1",
    }
    settings = load_settings(path, environ=environ)
    assert settings.log_level == "error"
    assert settings.policy.update_types == ("patch", "minor")
    settings = load_settings(path, environ=environ, overrides={"log_level": "debug"})
    assert settings.log_level == "debug"
    assert load_settings(path, environ={}).log_level == "warning"


def test_environment_errors_name_the_variable(tmp_path: Path) -> None:
    message = error_of(tmp_path, "{}\n", {"BASE_IMAGE_BOT_POLICY__LTS_ONLY": "perhaps"})
    assert message.startswith(
        "environment variable BASE_IMAGE_BOT_POLICY__LTS_ONLY: policy.lts_only"
    )
    message = error_of(tmp_path, "{}\n", {"BASE_IMAGE_BOT_NO_SUCH_KEY": "1"})
    assert "BASE_IMAGE_BOT_NO_SUCH_KEY" in message
    assert "unknown key 'no_such_key'" in message


def test_policy_overrides_only_replace_given_keys() -> None:
    policy = Policy().with_overrides(PolicyOverrides(lts_only=True))
    assert policy == Policy(lts_only=True)


RICH = """
log_level: warning
state_dir: /var/lib/bot
discovery:
  include: [Dockerfile, "*.Containerfile"]
  ignore: ["legacy/**"]
  compose: {enabled: false}
  helm: {include: [chart-values.yaml], max_bytes: 2048}
policy: {update_types: [patch, minor, digest], allow: ">=1", ignore: ["2.0.1"], min_age_days: 3}
rules:
  - {match: docker.io/library/node, lts_only: true}
  - {match: "ghcr.io/acme/*", versioning: semver, update_types: [major]}
  - {match: "docker.io/library/*", require_signature: true,
     checks: {end-of-life: {severity: high, warn_days: 30}}}
checks:
  unpinned-tag: {severity: high, allowed_tags: [nonroot]}
  approved_bases: ["docker.io/library/*"]
  signatures:
    keys: [{match: "ghcr.io/acme/*", path: /etc/keys/acme.pub}]
    keyless: [{match: "cgr.dev/*", identity: "https://ci.example/build", issuer: "https://token.example"}]
registries:
  ghcr.io: {username: bot, token_env: GHCR_TOKEN}
  127.0.0.1:5000: {insecure: true, verify_tls: false}
registry_aliases: {docker.io: harbor.example.com/dockerhub}
lookup: {read_timeout: 12.5, max_workers: 3}
platform: linux/arm64/v8
describe: {enabled: false, advisories: {path: /srv/osv, max_age_hours: 6}, max_packages: 900}
github: {app_id: 42, private_key_file: /run/key.pem, installation_id: 7}
repos:
  - acme/api
  - {name: acme/legacy, update_types: [digest], schedule: "@daily"}
pull_requests: {grouping: per-file, labels: [deps], draft: true, limit_open: 5}
schedule: {cron: "30 2 * * 1-5", timezone: Europe/Berlin, jitter_seconds: 0}
service: {port: 9000, dry_run: true}
"""


def test_show_prints_a_file_that_passes_the_check_and_means_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    original = write(tmp_path, RICH)
    for name in [n for n in os.environ if n.startswith("BASE_IMAGE_BOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BASE_IMAGE_BOT_POLICY__PIN_DIGESTS", "true")
    assert main(["config", "check", str(original), "--show"]) == 0
    shown = tmp_path / "shown.yaml"
    shown.write_text(capsys.readouterr().out, encoding="utf-8")
    monkeypatch.delenv("BASE_IMAGE_BOT_POLICY__PIN_DIGESTS")
    assert main(["config", "check", str(shown)]) == 0
    assert f"{shown}: configuration is valid" in capsys.readouterr().err
    expected = load_settings(original, environ={"BASE_IMAGE_BOT_POLICY__PIN_DIGESTS": "true"})
    again = load_settings(shown, environ={})
    assert again == replace(expected, source=str(shown))
    assert again.policy.pin_digests is True
    assert load_settings(DEFAULT_YAML, environ={}) == replace(
        load_settings(_shown(DEFAULT_YAML, tmp_path), environ={}), source=str(DEFAULT_YAML)
    )


def _shown(path: Path, tmp_path: Path) -> Path:
    from bot.configdump import dump_yaml

    out = tmp_path / f"{path.stem}.shown.yaml"
    out.write_text(dump_yaml(load_settings(path, environ={})), encoding="utf-8")
    return out


def test_update_types_come_from_one_enum() -> None:
    # The configuration schema, the run-output contract, the CLI, the defaults and the SARIF
    # rules all name exactly the members of UpdateType, which the choose stage decides with.
    from bot.cli import UPDATE_TYPES
    from bot.report.sarifrules import RULES
    from bot.versioning import UpdateType
    from bot.versioning.rules import DEFAULT_UPDATE_TYPES

    names = [t.value for t in UpdateType]
    assert schema()["$defs"]["update_type"]["enum"] == names
    root = Path(__file__).resolve().parent.parent.parent
    contract = json.loads((root / "config" / "run-output.schema.json").read_text(encoding="utf-8"))
    update = contract["properties"]["updates"]["items"]["properties"]["update_type"]
    assert update["enum"] == names
    assert list(UPDATE_TYPES) == names
    assert set(Policy().update_types) == {t.value for t in DEFAULT_UPDATE_TYPES}
    assert {f"outdated-base-image/{n}" for n in names} <= set(RULES)


def test_a_shell_can_set_a_check_option_by_environment(tmp_path: Path) -> None:
    """A POSIX shell cannot name a variable with ``-``: ``END_OF_LIFE`` stands for ``end-of-life``
    after ``CHECKS``, exactly as the file would set it."""
    script = (
        "BASE_IMAGE_BOT_CHECKS__END_OF_LIFE__WARN_DAYS=30 "
        "BASE_IMAGE_BOT_CHECKS__UNPINNED_TAG__SEVERITY=$1 "
        f'"{sys.executable}" -m bot config check "{DEFAULT_YAML}"'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    env["PYTHONPATH"] = str(ROOT)

    def check(severity: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", script, "sh", severity],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    assert check("high").returncode == 0
    refused = check("bogus")
    assert refused.returncode == 2
    assert (
        "environment variable BASE_IMAGE_BOT_CHECKS__UNPINNED_TAG__SEVERITY: "
        "checks.unpinned-tag.severity: 'bogus' is not one of"
    ) in refused.stderr
    file = write(
        tmp_path, "checks: {end-of-life: {warn_days: 30}, unpinned-tag: {severity: high}}\n"
    )
    environ = {
        "BASE_IMAGE_BOT_CHECKS__END_OF_LIFE__WARN_DAYS": "30",
        "BASE_IMAGE_BOT_CHECKS__UNPINNED_TAG__SEVERITY": "high",
    }
    assert load_settings(None, environ=environ).checks == load_settings(file, environ={}).checks
    message = error_of(tmp_path, "{}\n", {"BASE_IMAGE_BOT_CHECKS__NO_SUCH_CHECK__SEVERITY": "high"})
    assert "unknown key 'no_such_check'" in message
