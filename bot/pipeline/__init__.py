"""The run pipeline: collect files → extract → resolve → choose → rewrite → report.

``sources`` reads local files, ``rules`` turns configuration into image rules, ``plan`` holds the
pure decisions, ``resolve`` the registry lookups, ``apply`` the atomic file writes and ``audit``
joins them for ``base-image-bot run``.
"""
