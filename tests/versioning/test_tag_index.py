"""A prebuilt :class:`TagIndex` gives the decisions a plain tag list gives."""

from __future__ import annotations

import pytest

from bot.versioning import ImageRule, TagIndex, UpdateType, choose_update

OS = ImageRule(update_types={"patch", "digest", "os"})
PEP440_PATCH = ImageRule(versioning="pep440", update_types={"patch"})
PEP440_MINOR = ImageRule(versioning="pep440", update_types={"patch", "minor"})

CASES = [
    # An OS move (the index's OS groups).
    ("python", "3.12.1-slim-bookworm",
     ("3.12.1-slim-bookworm", "3.12.1-slim-trixie", "3.12.2-slim-trixie"), OS,
     "3.12.1-slim-trixie", UpdateType.OS),
    # A post-release is a patch under pep440 (the docker grammar would read a pre-release).
    ("app", "2.0", ("2.0", "2.0.post1", "2.1"), PEP440_PATCH, "2.0.post1", UpdateType.PATCH),
    ("app", "2.0-slim", ("2.0-slim", "2.0.post1-slim", "2.1-slim", "2.2"), PEP440_MINOR,
     "2.1-slim", UpdateType.MINOR),
    ("app", "2.0", ("2.0", "2.1rc1", "2.1", "2.2-slim"), PEP440_MINOR, "2.1", UpdateType.MINOR),
]  # fmt: skip


@pytest.mark.parametrize(("image", "current", "tags", "rule", "new", "kind"), CASES)
def test_index_and_tag_list_decide_alike(
    image: str,
    current: str,
    tags: tuple[str, ...],
    rule: ImageRule,
    new: str,
    kind: UpdateType,
) -> None:
    index = TagIndex.build(tags, rule.versioning)
    assert index.versioning == rule.versioning
    for source in (tags, index):
        decision = choose_update(image, current, source, rule)
        assert (decision.new_tag, decision.update_type) == (new, kind)
