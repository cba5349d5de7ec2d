"""Static guarantees over ``bot/``: no shell, no unsafe loaders, TLS verification on by default."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.forge.github import DEFAULT_API_URL
from bot.registry import settings_from_config
from bot.registry.settings import HostSettings, RegistrySettings

BOT = Path(__file__).resolve().parents[2] / "bot"
SOURCES = sorted(BOT.rglob("*.py"))

FORBIDDEN_CALLS = {
    "os.system",
    "os.popen",
    "os.spawnl",
    "os.spawnlp",
    "os.execl",
    "os.execlp",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "eval",
    "exec",
    "pickle.loads",
    "pickle.load",
    "marshal.loads",
    "yaml.load",
    "yaml.unsafe_load",
    "yaml.full_load",
}
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield f"{path.relative_to(BOT.parent)}:{node.lineno}", node


def test_the_scan_sees_the_whole_package() -> None:
    assert len(SOURCES) > 50
    assert any(_name(call.func) == "subprocess.run" for _, call in _calls())


def test_no_shell_true_anywhere() -> None:
    offenders = [
        where
        for where, call in _calls()
        for keyword in call.keywords
        if keyword.arg == "shell"
        and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False)
    ]
    assert offenders == []


def test_no_shell_like_or_unsafe_calls() -> None:
    offenders = [
        f"{where}: {_name(call.func)}"
        for where, call in _calls()
        if _name(call.func) in FORBIDDEN_CALLS
    ]
    assert offenders == []


def test_subprocesses_take_argument_lists() -> None:
    offenders = []
    for where, call in _calls():
        name = _name(call.func)
        if not name.startswith("subprocess.") or name.split(".")[-1] not in SUBPROCESS_CALLS:
            continue
        first = call.args[0] if call.args else None
        if first is None or isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp):
            offenders.append(where)
    assert offenders == []


def test_tls_verification_is_never_switched_off_in_code() -> None:
    offenders = [
        where
        for where, call in _calls()
        for keyword in call.keywords
        if keyword.arg in ("verify", "verify_tls")
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is False
    ]
    assert offenders == []


def test_tls_verification_is_on_by_default() -> None:
    settings = settings_from_config(load_settings(None, environ={}))
    assert settings.verify_for("registry.example.com") is True
    assert settings.verify_for("ghcr.io") is True
    assert settings.all_insecure_hosts() == frozenset()
    assert RegistrySettings().verify_for("127.0.0.1:5000") is True
    assert DEFAULT_API_URL.startswith("https://")


def test_tls_opt_out_is_per_registry() -> None:
    settings = RegistrySettings(hosts=(HostSettings("lab.example.com", verify_tls=False),))
    assert settings.verify_for("lab.example.com") is False
    assert settings.verify_for("registry.example.com") is True


def test_webhook_signature_is_compared_in_constant_time() -> None:
    webhook = BOT / "service" / "webhook.py"
    if not webhook.exists():
        pytest.skip("the service's webhook module is not built yet")
    tree = ast.parse(webhook.read_text(encoding="utf-8"))
    names = {_name(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "hmac.compare_digest" in names
    equalities = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and any(
            "sig" in _name(side).lower() or "expected" in _name(side).lower()
            for side in [node.left, *node.comparators]
        )
    ]
    assert equalities == [], f"signature compared with == at lines {equalities}"
