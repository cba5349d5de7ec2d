"""Tests proving the real-registry fixtures and the image pusher work."""

from __future__ import annotations
