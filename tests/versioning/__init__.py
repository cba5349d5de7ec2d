"""Tests of the tag versioning and update-policy stage."""

from __future__ import annotations
