"""Shared test infrastructure: a real registry, a token server and an image pusher."""

from __future__ import annotations
