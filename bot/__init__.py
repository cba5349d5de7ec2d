"""base-image-bot: keeps Docker base images current."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
