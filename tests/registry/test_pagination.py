"""Tag listing over a fake wire: Link pagination (relative/absolute), caps, huge lists, errors."""

from __future__ import annotations

import json
import logging

import pytest
import responses

from bot.errors import NotFoundError, RegistryError, RegistryProtocolError
from tests.registry.helpers import client

HOST = "registry.example.com"
BASE = f"https://{HOST}"
TAGS = f"{BASE}/v2/team/app/tags/list"


def _page(tags: list[str]) -> dict[str, object]:
    return {"name": "team/app", "tags": tags}


@responses.activate
def test_follows_relative_and_absolute_next_links() -> None:
    responses.get(
        f"{TAGS}?n=1000",
        json=_page(["1.0", "1.1"]),
        headers={"Link": '</v2/team/app/tags/list?last=1.1&n=1000>; rel="next"'},
    )
    responses.get(
        f"{TAGS}?last=1.1&n=1000",
        json=_page(["1.2"]),
        headers={"Link": f"<{TAGS}?last=1.2&n=1000>; rel=next"},
    )
    responses.get(f"{TAGS}?last=1.2&n=1000", json=_page(["2.0", "1.0"]))

    tags = client().list_tags(HOST, "team/app")

    assert tags.tags == ("1.0", "1.1", "1.2", "2.0")
    assert tags.pages == 3
    assert not tags.truncated
    assert len(responses.calls) == 3


@responses.activate
def test_ten_thousand_tags_across_pages_are_all_returned() -> None:
    names = [f"1.{i}.0" for i in range(10_500)]
    pages = [names[i : i + 1000] for i in range(0, len(names), 1000)]
    for number, chunk in enumerate(pages):
        query = "n=1000" if number == 0 else f"n=1000&page={number}"
        headers = {}
        if number + 1 < len(pages):
            headers["Link"] = f'</v2/team/app/tags/list?n=1000&page={number + 1}>; rel="next"'
        responses.get(f"{TAGS}?{query}", json=_page(chunk), headers=headers)

    tags = client().list_tags(HOST, "team/app")

    assert len(tags) == 10_500
    assert tags.tags[0] == "1.0.0"
    assert tags.tags[-1] == "1.10499.0"
    assert tags.pages == 11
    assert not tags.truncated


@responses.activate
def test_page_cap_truncates_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    for number in range(5):
        responses.get(
            f"{TAGS}?n=1000&p={number}" if number else f"{TAGS}?n=1000",
            json=_page([f"t{number}"]),
            headers={"Link": f'</v2/team/app/tags/list?n=1000&p={number + 1}>; rel="next"'},
        )

    with caplog.at_level(logging.WARNING, logger="bot.registry"):
        tags = client(max_pages=3).list_tags(HOST, "team/app")

    assert tags.truncated
    assert tags.tags == ("t0", "t1", "t2")
    assert len(responses.calls) == 3
    assert any(
        "truncated" in r.getMessage() and "team/app" in r.getMessage() for r in caplog.records
    )


@responses.activate
def test_next_link_to_another_origin_is_refused() -> None:
    responses.get(
        f"{TAGS}?n=1000",
        json=_page(["a"]),
        headers={"Link": '<https://evil.example.net/v2/team/app/tags/list?n=1000>; rel="next"'},
    )
    with pytest.raises(RegistryProtocolError, match="leaves registry.example.com"):
        client().list_tags(HOST, "team/app")


@responses.activate
def test_link_loop_is_refused() -> None:
    responses.get(
        f"{TAGS}?n=1000",
        json=_page(["a"]),
        headers={"Link": '</v2/team/app/tags/list?n=1000>; rel="next"'},
    )
    with pytest.raises(RegistryProtocolError, match="repeats"):
        client().list_tags(HOST, "team/app")


@responses.activate
def test_tag_listing_is_memoised_per_repository() -> None:
    responses.get(f"{TAGS}?n=1000", json=_page(["1"]))
    c = client()
    first = c.list_tags(HOST, "team/app")
    second = c.list_tags(HOST.upper(), "team/app")
    assert first == second
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"tags": "1.0"}', b'{"tags": [1, 2]}', b"[" * 5000 + b"]" * 5000],
)
@responses.activate
def test_malformed_tag_pages_raise_protocol_error(body: bytes) -> None:
    responses.get(f"{TAGS}?n=1000", body=body)
    with pytest.raises(RegistryProtocolError) as info:
        client().list_tags(HOST, "team/app")
    assert "registry.example.com/team/app" in str(info.value)
    assert "\n" not in str(info.value)


@responses.activate
def test_deeply_nested_json_object_is_refused() -> None:
    nested = json.dumps({"tags": ["a"], "x": json.loads("[" * 60 + "]" * 60)})
    responses.get(f"{TAGS}?n=1000", body=nested)
    with pytest.raises(RegistryProtocolError, match="nested deeper"):
        client().list_tags(HOST, "team/app")


@responses.activate
def test_oversized_tag_page_is_refused_without_reading_it_all() -> None:
    responses.get(f"{TAGS}?n=1000", body=b"x", headers={"Content-Length": str(64 << 20)})
    with pytest.raises(RegistryProtocolError, match="exceeds"):
        client().list_tags(HOST, "team/app")


@responses.activate
def test_empty_repository_tags_null() -> None:
    responses.get(f"{TAGS}?n=1000", json={"name": "team/app", "tags": None})
    assert client().list_tags(HOST, "team/app").tags == ()


@responses.activate
def test_unknown_repository_is_not_found_with_code() -> None:
    responses.get(
        f"{TAGS}?n=1000",
        status=404,
        json={"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]},
    )
    with pytest.raises(NotFoundError, match=r"registry.example.com/team/app.*NAME_UNKNOWN"):
        client().list_tags(HOST, "team/app")


@responses.activate
def test_a_full_page_whose_last_follow_up_is_refused_may_be_truncated() -> None:
    first = [f"1.0.{i}" for i in range(1000)]
    responses.get(f"{TAGS}?n=1000", json=_page(first))
    responses.get(f"{TAGS}?n=1000&last=1.0.999", status=400, json={"errors": [{"code": "BAD"}]})
    listed = client().list_tags(HOST, "team/app")
    assert listed.tags == tuple(first)
    assert "may be truncated" in listed.warning
    assert "HTTP 400" in listed.warning


@responses.activate
def test_a_failing_last_follow_up_is_an_error_not_a_short_list() -> None:
    """A rate limit or a server error while reading on is never taken for "no more tags"."""
    responses.get(f"{TAGS}?n=1000", json=_page([f"1.0.{i}" for i in range(1000)]))
    responses.get(f"{TAGS}?n=1000&last=1.0.999", status=503)
    with pytest.raises(RegistryError, match="503"):
        client(max_retries=0).list_tags(HOST, "team/app")
