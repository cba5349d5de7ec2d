"""End-to-end tests of ``base-image-bot run`` against a real, seeded registry."""
