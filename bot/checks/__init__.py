"""Base-image governance checks: rules with stable ids that every run evaluates.

``model`` (severities, the rule catalogue), ``settings`` (``checks:`` configuration), pure rule
evaluation (``pinning``, ``lifecycle``/``eol``, ``trust``, ``signatures``, ``vulnerable``) and the
I/O that feeds it (``pinresolve``, ``lifecycle_source``, ``sigfetch``, ``cosign``, ``keyless``);
``engine`` runs them over a run's results, ``inventory`` turns a report into the organisation-wide
inventory. Modules import only what they need, so ``bot.config`` can import ``settings``.
"""
