"""Test suite of base-image-bot."""

from __future__ import annotations
