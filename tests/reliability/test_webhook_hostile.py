"""Hostile webhook traffic against ``base-image-bot serve`` (a real subprocess on loopback).

Large unsigned or forged posts must not be buffered before the signature is checked (memory
stays bounded), connections beyond the pool get a quick 503, a body sent one byte at a time is
cut at ``service.request_timeout``, ``/healthz`` keeps answering throughout, and a client that
hangs up mid-answer is one JSON log line, not a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.github_emulator import GitHubEmulator
from tests.service.serveproc import ServeProcess

SECRET = b"hostile-webhook-secret"
CHUNK = 256 * 1024


def _config(emulator: GitHubEmulator, tmp_path: Path, **service: object) -> dict[str, Any]:
    return {
        "log_format": "json",
        "state_dir": str(tmp_path / "state"),
        "github": {"api_url": emulator.base_url, "throttle": False},
        "repos": ["o/app"],
        "schedule": {"cron": "0 3 1 1 *", "jitter_seconds": 0},
        "service": {"port": 0, "dry_run": True, "shutdown_timeout": 2, **service},
    }


@pytest.fixture
def start(github_emulator: GitHubEmulator, tmp_path: Path) -> Iterator[Any]:
    """``start(**service_keys)``: a running ``serve``; stopped after the test."""
    github_emulator.create_repo("o/app", {"Dockerfile": "FROM python:3.12.1-slim\n"})
    started: list[ServeProcess] = []

    def run(**service: object) -> ServeProcess:
        env = {"GITHUB_TOKEN": github_emulator.token, "GITHUB_WEBHOOK_SECRET": SECRET.decode()}
        process = ServeProcess(_config(github_emulator, tmp_path, **service), tmp_path, env)
        started.append(process)
        return process

    yield run
    for process in started:
        process.close()


def _address(bot: ServeProcess) -> tuple[str, int]:
    host, _, port = bot.url.removeprefix("http://").partition(":")
    return host, int(port)


def _kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _post(bot: ServeProcess, size: int, signature: str | None) -> int:
    """POST ``size`` bytes to /webhook in chunks; the status, or 0 if the server hung up."""
    headers = [
        "POST /webhook HTTP/1.1",
        f"Host: {bot.url.removeprefix('http://')}",
        "Content-Type: application/json",
        f"Content-Length: {size}",
        "X-GitHub-Event: push",
        "X-GitHub-Delivery: hostile",
    ]
    if signature is not None:
        headers.append(f"X-Hub-Signature-256: {signature}")
    with socket.create_connection(_address(bot), timeout=60) as conn:
        try:
            conn.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
            chunk = b"x" * CHUNK
            sent = 0
            while sent < size:
                piece = chunk[: min(CHUNK, size - sent)]
                conn.sendall(piece)
                sent += len(piece)
        except OSError:
            pass  # refused early: the server closed the connection
        try:
            status_line = conn.recv(64).split(b"\r\n", 1)[0]
        except OSError:
            return 0
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 else 0


def _attack(bot: ServeProcess, posts: int, size: int) -> tuple[list[int], list[int], int]:
    """``posts`` concurrent large posts (half unsigned, half forged) while /healthz is polled;
    the posts' statuses, the health checks' statuses, and the peak RSS growth in MiB."""
    pid = bot.process.pid
    baseline = _kib(pid, "VmRSS")
    statuses: list[int] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        forged = "sha256=" + "0" * 64 if index % 2 else None
        status = _post(bot, size, forged)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(posts)]
    for thread in threads:
        thread.start()
    health = []
    while any(t.is_alive() for t in threads):
        health.append(bot.get("/healthz")[0])
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    health.append(bot.get("/healthz")[0])
    return statuses, health, (_kib(pid, "VmHWM") - baseline) // 1024


def _signed_ping(bot: ServeProcess) -> tuple[int, str]:
    body = json.dumps({"zen": "still here"}).encode()
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": signature}
    return bot.request("POST", "/webhook", body, headers)


def test_large_unsigned_and_forged_posts_are_never_buffered(start: Any) -> None:
    bot = start()
    statuses, health, growth = _attack(bot, posts=30, size=12 * 1024 * 1024)
    assert set(statuses) <= {401, 503, 0}, statuses
    assert 401 in statuses
    assert set(health) == {200}, health
    # 30 posts of 12 MiB were sent; buffering them (as before) grew the process by about 84 MiB.
    assert growth < 32, f"serve grew by {growth} MiB"
    assert _signed_ping(bot) == (200, "pong\n")
    assert all(_json(line) for line in bot.lines)


@pytest.mark.slow
def test_the_reported_attack_thirty_unsigned_25_mb_posts(start: Any) -> None:
    bot = start()
    statuses, health, growth = _attack(bot, posts=30, size=25 * 1024 * 1024)
    assert set(health) == {200}, health
    assert set(statuses) <= {401, 503, 0}, statuses
    assert growth < 64, f"serve grew by {growth} MiB (435 MiB before the fix)"


def test_a_body_sent_one_byte_at_a_time_is_cut_at_the_request_timeout(start: Any) -> None:
    bot = start(request_timeout=2)
    headers = (
        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
        "X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=" + "0" * 64 + "\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(_address(bot), timeout=30) as conn:
        conn.sendall(headers.encode())
        answer = b""
        while time.monotonic() - started < 20:
            try:
                conn.sendall(b"x")
            except OSError:
                break
            conn.settimeout(0.5)
            try:
                data = conn.recv(256)
            except TimeoutError:
                continue
            if not data:
                break
            answer += data
    assert time.monotonic() - started < 10, "the trickle was not cut"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert bot.get("/healthz") == (200, "ok\n")


def test_connections_beyond_the_pool_get_a_quick_503(start: Any) -> None:
    bot = start(max_connections=4, request_timeout=5)
    idle = [socket.create_connection(_address(bot), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)
        with socket.create_connection(_address(bot), timeout=5) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            started = time.monotonic()
            answer = extra.recv(256)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert time.monotonic() - started < 2
    finally:
        for conn in idle:
            conn.close()
    deadline = time.monotonic() + 10
    while bot.get("/healthz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bot.get("/healthz") == (200, "ok\n")


def test_a_client_that_hangs_up_is_one_json_log_line(start: Any) -> None:
    bot = start()
    for _ in range(20):  # reset the connection right after asking: the answer meets a dead socket
        conn = socket.create_connection(_address(bot), timeout=5)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.close()
    assert bot.get("/healthz") == (200, "ok\n")
    time.sleep(0.5)
    assert bot.lines
    bad = [line for line in bot.lines if not _json(line)]
    assert bad == [], bad[:5]


def _json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
