"""``python -m bot`` runs the command-line interface."""

from __future__ import annotations

from bot.cli import entry

if __name__ == "__main__":
    entry()
