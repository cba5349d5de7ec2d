"""``base-image-bot serve`` as a subprocess on loopback, for the service tests and the benchmark.

The service listens on port 0 and logs JSON; a reader thread collects stderr lines and the port
comes from the ``serving on http://HOST:PORT`` line. Under pytest the process cannot reach the
internet (the offline guard and settings of ``tests/conftest.py`` reach every subprocess), and
unless the configuration says otherwise it does not describe updates.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from bot.service.webhook import sign

ROOT = Path(__file__).resolve().parent.parent.parent
_SERVING = re.compile(r"serving on http://([0-9.]+):(\d+)")


class ServeProcess:
    """A running ``python -m bot serve --config FILE``."""

    def __init__(
        self,
        config: Mapping[str, object],
        workdir: Path,
        env: Mapping[str, str] | None = None,
        *,
        root: Path = ROOT,
    ) -> None:
        """Start ``serve`` with ``config``; ``root`` is the checkout whose bot runs."""
        self.config_path = workdir / "serve.yaml"
        document = {"describe": {"enabled": False}, **dict(config)}
        self.config_path.write_text(yaml.safe_dump(document), encoding="utf-8")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
        environ.update({"DOCKER_CONFIG": str(workdir), "PYTHONPATH": str(root), **(env or {})})
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--config",
                str(self.config_path),
            ],
            cwd=root,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        match = self.wait_for_log(lambda line: _SERVING.search(line) is not None, timeout=20)
        found = _SERVING.search(match)
        assert found is not None
        self.url = f"http://{found.group(1)}:{found.group(2)}"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def messages(self) -> list[str]:
        """The ``message`` of every JSON log line so far (other lines verbatim)."""
        with self._lock:
            lines = list(self.lines)
        out = []
        for line in lines:
            try:
                out.append(str(json.loads(line)["message"]))
            except (ValueError, KeyError, TypeError):
                out.append(line)
        return out

    def wait_for_log(self, predicate: Callable[[str], bool], timeout: float = 20) -> str:
        """The first log message satisfying ``predicate``; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if predicate(message):
                    return message
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.lines}")
            time.sleep(0.05)
        raise AssertionError(f"log line not seen in {timeout} s: {self.messages()}")

    def get(self, path: str) -> tuple[int, str]:
        """GET ``path``: status and text."""
        return self.request("GET", path)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] = {}
    ) -> tuple[int, str]:
        """One request: status and text (HTTP errors are returned, not raised)."""
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=dict(headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def webhook(
        self, event: str, payload: object, secret: bytes, *, signature: str | None = None
    ) -> tuple[int, str]:
        """Deliver ``payload`` as GitHub would (signed with ``secret`` unless ``signature``)."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "d-1",
            "X-Hub-Signature-256": signature or sign(secret, body),
        }
        return self.request("POST", "/webhook", body, headers)

    def metric(self, name: str, **labels: str) -> float:
        """Value of one sample on ``/metrics`` (0.0 when absent)."""
        _, text = self.get("/metrics")
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            sample, _, label_text = key.partition("{")
            parts = sorted(p for p in label_text.rstrip("}").split(",") if p)
            if sample == name and ",".join(parts) == wanted:
                return float(value)
        return 0.0

    def wait_metric(self, name: str, minimum: float, timeout: float = 30, **labels: str) -> float:
        """Poll ``/metrics`` until the sample reaches ``minimum``."""
        deadline = time.monotonic() + timeout
        value = 0.0
        while time.monotonic() < deadline:
            value = self.metric(name, **labels)
            if value >= minimum:
                return value
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{name}{labels} = {value} < {minimum}: {self.messages()[-10:]}")

    def terminate(self, timeout: float = 20) -> tuple[int, float]:
        """SIGTERM; the exit code and seconds until exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def close(self) -> None:
        """Kill the process if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()
