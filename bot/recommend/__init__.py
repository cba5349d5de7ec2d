"""Recommendations of other bases: for each base-image reference, a bounded set of candidates
(newest tag of the current and next supported release lines, the same version in other
variants, configured substitutes) compared with the image in use, ranked by configurable
criteria, with the reason the top one wins.

Modules: :mod:`.candidates` (which images, pure), :mod:`.alternatives` (the substitutes data
file), :mod:`.engine` (evaluation through the registry), :mod:`.traits` and :mod:`.rank` (pure),
:mod:`.variants` (the ``variant`` update).
"""
