"""``allow`` and ``ignore`` ranges at their bounds, under the docker grammar and PEP 440."""

from __future__ import annotations

import pytest

from bot.errors import PolicyError
from bot.versioning import ImageRule, choose_update

TAGS = ("3.11.0", "3.12.0", "3.12.1", "3.13.0")


def _newest(allow: str | None = None, ignore: tuple[str, ...] = (), current: str = "3.11.0",
            tags: tuple[str, ...] = TAGS, versioning: str = "docker") -> str | None:  # fmt: skip
    rule = ImageRule(update_types={"patch", "minor", "major"}, allow=allow, ignore=ignore,
                     versioning=versioning)  # fmt: skip
    return choose_update("img", current, tags, rule).new_tag


@pytest.mark.parametrize(
    ("allow", "newest"),
    [
        (">=3.13.0", "3.13.0"),  # the bound itself is in
        (">3.12.1", "3.13.0"),
        (">3.13.0", None),  # ... and not in a strict one
        ("<=3.12.1", "3.12.1"),
        ("<3.12.1", "3.12.0"),
        ("<3.13,>=3.11.0", "3.12.1"),  # every clause holds, not only the last
        (">=3.12.0,<3.12.1", "3.12.0"),
        ("==3.12.*", "3.12.1"),
        ("!=3.13.*", "3.12.1"),
        ("~=3.12.0", "3.12.1"),
    ],
)
def test_allow_bounds(allow: str, newest: str | None) -> None:
    assert _newest(allow) == newest


def test_missing_components_count_as_zero() -> None:
    # 3.12 is 3.12.0: inside <=3.12.0, outside >3.12.0.
    tags = ("3.11", "3.12", "3.13")
    assert _newest("<=3.12.0", current="3.11", tags=tags) == "3.12"
    assert _newest(">3.12.0,<3.13", current="3.11", tags=tags) is None


def test_ignore_ranges() -> None:
    assert _newest(ignore=("!=3.12.*",)) == "3.12.1"
    assert _newest(ignore=(">=3.13", "==3.12.1")) == "3.12.0"


def test_pep440_ranges_use_pep440_specifiers() -> None:
    # A pre-release specifier only PEP 440 reads; pre-releases count when the current tag is one.
    assert _newest(">=1.1rc1", current="1.1rc1", tags=("1.1rc1", "1.1rc2"),
                   versioning="pep440") == "1.1rc2"  # fmt: skip
    assert _newest("<2", current="1.1rc1", tags=("1.1rc1", "1.1rc2"),
                   versioning="pep440") == "1.1rc2"  # fmt: skip
    assert _newest("<=1.1.5", current="1.1.4", tags=("1.1.4", "1.1.5", "1.1.6"),
                   versioning="pep440") == "1.1.5"  # fmt: skip
    assert _newest("<=1.1.5", current="1.1.4-slim", tags=("1.1.4-slim", "1.1.5-slim", "1.1.6-slim"),
                   versioning="pep440") == "1.1.5-slim"  # fmt: skip


@pytest.mark.parametrize(
    ("allow", "message"),
    [
        ("", "allow: a version range must be a non-empty string, got ''"),
        ("  ", "allow: a version range must be a non-empty string, got '  '"),
        (3, "allow: a version range must be a non-empty string, got 3"),
        (">=3.*", "allow: '.*' only goes with == or != in '>=3.*'"),
        ("nonsense", "allow: cannot parse range 'nonsense' (e.g. '>=3.12,<3.13')"),
    ],
)
def test_bad_ranges_name_the_field(allow: object, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        ImageRule(allow=allow)  # type: ignore[arg-type]
    assert str(raised.value) == message
