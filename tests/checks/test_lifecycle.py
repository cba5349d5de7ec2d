"""Lifecycle data: endoflife.date API v1/v0 documents (real schema), the bundled snapshot, the
mapping of image names and tags to products and cycles, and where the data comes from (API,
cache with its fetch date, snapshot, air-gapped path)."""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import requests
import responses
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.checks.lifecycle import Lifecycle, parse_product
from bot.checks.lifecycle_map import bundled_map, parse_map, place
from bot.checks.lifecycle_source import (
    LifecycleSettings,
    LifecycleSource,
    bundled_snapshot,
    load_path,
)
from bot.errors import CheckError
from bot.versioning.schemes import parse_tag
from bot.versioning.tags import VERSION

DATA = Path(__file__).resolve().parent.parent / "data"
EOL = DATA / "endoflife"
SNAPSHOT = Path(__file__).resolve().parents[2] / "bot" / "checks" / "data"
NOW = datetime(2026, 12, 7, tzinfo=UTC)
API = "https://endoflife.test/api/v1"


def recorded(name: str) -> object:
    return json.loads((EOL / name).read_text(encoding="utf-8"))


def test_the_bundled_snapshot_follows_the_api_v1_schema() -> None:
    schema = recorded("openapi-schemas.json")
    assert isinstance(schema, dict)
    validator = jsonschema.Draft202012Validator(schema)
    snapshot = json.loads((SNAPSHOT / "endoflife-snapshot.json").read_text(encoding="utf-8"))
    for name, response in snapshot["products"].items():
        errors = [e.message for e in validator.iter_errors(response)]
        assert errors == [], name
        assert response["result"]["name"] == name
    validator.validate(recorded("python.json"))


def test_api_v1_and_v0_documents_give_the_same_cycles() -> None:
    v1 = parse_product("python", recorded("python.json"))
    v0 = parse_product("python", recorded("python-v0.json"))
    assert [c.name for c in v1.cycles] == [c.name for c in v0.cycles]
    assert [(c.eol, c.latest, c.release_date) for c in v1.cycles] == [
        (c.eol, c.latest, c.release_date) for c in v0.cycles
    ]
    py38 = v1.cycle("3.8")
    assert py38 is not None
    assert py38.eol == date(2024, 10, 7)
    assert py38.is_eol(date(2024, 10, 7))
    assert not py38.is_eol(date(2024, 10, 6))
    debian = parse_product("debian", recorded("debian.json"))
    bullseye = debian.by_codeword("bullseye")
    assert bullseye is not None
    assert bullseye.name == "11"
    assert debian.eol_label == "Debian Security Support"
    assert debian.describe(bullseye) == "Debian 11 (Bullseye)"


def test_codewords_name_the_first_cycle_with_that_codename_and_blank_ones_none() -> None:
    product = parse_product("demo", {"result": {"releases": [
        {"name": "3", "codename": "   "},
        {"name": "2", "codename": "Jammy Jellyfish"},
        {"name": "1", "codename": "jammy"},
    ]}})  # fmt: skip
    assert product.cycles[0].codeword is None
    assert product.by_codeword("JAMMY") is product.cycles[1]
    assert product.by_codeword("jellyfish") is None
    assert product.by_codeword("") is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "expected a JSON object or list"),
        ({"result": {"releases": "x"}}, "'releases' is not a list"),
        ({"result": {"releases": [{"name": "1", "eolFrom": "2024-13-45"}]}}, "not a valid date"),
        ({"result": {"releases": [{"name": "1", "eolFrom": "yesterday"}]}}, "is not a date"),
        ({"result": {"releases": [{"name": ["x"]}]}}, "expected a string"),
        ([{"cycle": "1", "eol": 5}], "is not a date"),
    ],
)
def test_malformed_lifecycle_data_is_refused_naming_the_product(
    document: object, message: str
) -> None:
    with pytest.raises(CheckError, match=message) as caught:
        parse_product("demo", document)
    assert "demo" in str(caught.value)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["result", "releases", "name", "eolFrom",
                                                       "isEol", "latest", "cycle", "eol"]),
                                      inner, max_size=5), max_leaves=20))  # fmt: skip
def test_any_json_document_parses_or_is_refused_cleanly(document: object) -> None:
    with contextlib.suppress(CheckError):
        parse_product("fuzz", document)


def official_images() -> list[str]:
    return sorted(p.stem for p in (DATA / "tags").glob("*.json"))


@pytest.mark.parametrize("image", official_images())
def test_the_snapshot_maps_every_official_image_and_its_version_tags(image: str) -> None:
    """Every version tag of every official image in tests/data/tags lands on a cycle of the
    bundled snapshot, except lines older than the data (reported, not guessed)."""
    lifecycle = bundled_snapshot()
    name = f"docker.io/library/{image}"
    line = bundled_map().line_of(name)
    assert line is not None
    product = lifecycle.product(line.product)
    assert product is not None
    document = json.loads((DATA / "tags" / f"{image}.json").read_text(encoding="utf-8"))
    oldest = min(c.release_date for c in product.cycles if c.release_date)
    unplaced = []
    placed = 0
    for entry in document["tags"]:
        tag = entry["tag"]
        parsed = parse_tag(tag)
        if parsed is None or parsed.kind != VERSION or not parsed.stable:
            continue
        if len(parsed.release) < (1 if image == "postgres" and parsed.release[0] >= 10 else 2):
            continue  # a floating "3" or "12": placed by what it resolves to
        found = [p for p in place(name, tag, lifecycle) if p.via == "image"]
        if found:
            placed += 1
            continue
        unplaced.append(tag)
    assert placed > 0
    # What does not place is older than the product's oldest documented cycle.
    for tag in unplaced:
        assert _older_than_data(tag, product, oldest), tag


def _older_than_data(tag: str, product: object, oldest: date) -> bool:
    parsed = parse_tag(tag)
    assert parsed is not None
    names = {c.name for c in product.cycles}  # type: ignore[attr-defined]
    major = str(parsed.release[0])
    minor = f"{parsed.release[0]}.{parsed.release[1]}" if len(parsed.release) > 1 else major
    return major not in names and minor not in names and oldest < NOW.date()


@pytest.mark.parametrize(
    ("image", "tag", "expected"),
    [
        ("docker.io/library/python", "3.12.1-slim-bullseye", [("python", "3.12"), ("debian", "11")]),
        ("public.ecr.aws/docker/library/python", "3.8.18", [("python", "3.8")]),
        ("docker.io/library/node", "20.10.0-alpine3.18", [("nodejs", "20"), ("alpine-linux", "3.18")]),
        ("docker.io/library/ubuntu", "jammy-20240111", [("ubuntu", "22.04")]),
        ("docker.io/library/ubuntu", "20.04", [("ubuntu", "20.04")]),
        ("docker.io/library/debian", "bookworm-slim", [("debian", "12")]),
        ("docker.io/library/debian", "12.5", [("debian", "12")]),
        ("docker.io/library/postgres", "9.6.24-alpine3.14", [("postgresql", "9.6"), ("alpine-linux", "3.14")]),
        ("docker.io/library/postgres", "16.1", [("postgresql", "16")]),
        ("docker.io/library/golang", "1.21.5-bookworm", [("go", "1.21"), ("debian", "12")]),
        ("docker.io/library/eclipse-temurin", "21.0.2_13-jre-jammy", [("eclipse-temurin", "21"), ("ubuntu", "22.04")]),
        ("mcr.microsoft.com/dotnet/aspnet", "8.0-bookworm-slim", [("dotnet", "8"), ("debian", "12")]),
        ("docker.io/library/httpd", "2.4.58-alpine", [("apache-http-server", "2.4")]),
        ("docker.io/library/mysql", "8.0.36", [("mysql", "8.0")]),
        ("docker.io/library/mongo", "7.0.5-jammy", [("mongodb", "7.0"), ("ubuntu", "22.04")]),
        ("ghcr.io/acme/app", "1.2.3-buster", [("debian", "10")]),
        ("docker.io/library/python", "3", []),
        ("docker.io/library/python", None, []),
        ("docker.io/library/redis", "latest", []),
    ],
)  # fmt: skip
def test_the_mapping_places_image_names_and_tag_forms(
    image: str, tag: str | None, expected: list[tuple[str, str]]
) -> None:
    found = place(image, tag, bundled_snapshot())
    assert [(p.product.name, p.cycle.name) for p in found] == expected


# -- where the data comes from -------------------------------------------------------------


def source(tmp_path: Path, **kwargs: object) -> LifecycleSource:
    settings = LifecycleSettings(url=API, cache_dir=str(tmp_path / "cache"), **kwargs)  # type: ignore[arg-type]
    return LifecycleSource(settings, now=NOW, session=requests.Session())


@responses.activate
def test_products_are_fetched_once_and_cached_with_their_fetch_date(tmp_path: Path) -> None:
    responses.get(f"{API}/products/python", json=recorded("python.json"))
    first = source(tmp_path).load(["python"])
    assert first.source == "endoflife.date"
    assert first.fetched_at == NOW
    cached = json.loads((tmp_path / "cache" / "endoflife" / "python.json").read_text())
    assert cached["fetched_at"] == NOW.isoformat()
    # A new run within max_age reads the cache: no request.
    second = source(tmp_path).load(["python"])
    assert second.source == "endoflife.date (cached)"
    assert second.fetched_at == NOW
    assert len(responses.calls) == 1
    assert second.product("python") == first.product("python")


@responses.activate
def test_a_stale_cache_is_refreshed_and_kept_when_the_api_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    responses.get(f"{API}/products/python", json=recorded("python.json"))
    source(tmp_path).load(["python"])
    later = LifecycleSource(
        LifecycleSettings(url=API, cache_dir=str(tmp_path / "cache")),
        now=NOW + timedelta(days=2),
        session=requests.Session(),
    )
    responses.replace(responses.GET, f"{API}/products/python", status=503)
    data = later.load(["python"])
    assert data.source == "endoflife.date (cached, stale)"
    assert data.fetched_at == NOW
    assert "HTTP 503" in caplog.text


@responses.activate
def test_without_network_or_cache_the_bundled_snapshot_is_used_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.checks.lifecycle_source")
    responses.get(f"{API}/products/python", body=requests.ConnectionError("offline"))
    data = source(tmp_path).load(["python", "debian", "no-such-product"])
    assert data.source == "bundled endoflife.date snapshot"
    assert data.fetched_at == bundled_snapshot().fetched_at
    assert {p.name for p in data.products} == {"python", "debian"}
    assert len(responses.calls) == 1  # offline once: the other products are not tried
    assert caplog.text.count("unreachable") == 1
    # Offline is an air-gapped install's normal state: said at debug level, not as a warning.
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


@responses.activate
def test_redirects_are_followed_and_bad_replies_fall_back(tmp_path: Path) -> None:
    responses.get(
        f"{API}/products/python",
        status=301,
        headers={"Location": f"{API}/products/python3"},
    )
    responses.get(f"{API}/products/python3", json=recorded("python.json"))
    assert source(tmp_path).load(["python"]).source == "endoflife.date"
    responses.get(f"{API}/products/debian", body="<html>not found</html>", status=200)
    assert source(tmp_path).load(["debian"]).source == "bundled endoflife.date snapshot"


def test_an_air_gapped_path_is_read_and_nothing_is_downloaded(tmp_path: Path) -> None:
    directory = tmp_path / "eol"
    directory.mkdir()
    (directory / "python.json").write_text((EOL / "python.json").read_text())
    with responses.RequestsMock() as mock:  # any request would fail the test
        data = source(tmp_path, path=str(directory)).load(["python", "debian"])
        assert len(mock.calls) == 0
    assert [p.name for p in data.products] == ["python"]
    assert data.source == str(directory)
    single = load_path(EOL / "python-v0.json")
    assert single.products[0].name == "python-v0"
    snapshot = load_path(SNAPSHOT / "endoflife-snapshot.json")
    assert isinstance(snapshot, Lifecycle)
    assert snapshot.product("debian") is not None
    with pytest.raises(CheckError, match="cannot read"):
        load_path(tmp_path / "missing.json")


def test_the_mapping_a_run_reads_is_the_documented_yaml_file() -> None:
    """A run reads the JSON twin of lifecycle-map.yaml (no YAML parser at start-up); the twin
    says the same as the YAML file (after an edit: python scripts/compile_data.py)."""
    documented = yaml.safe_load((SNAPSHOT / "lifecycle-map.yaml").read_text(encoding="utf-8"))
    twin = json.loads((SNAPSHOT / "lifecycle-map.json").read_text(encoding="utf-8"))
    assert twin.pop("_generated").startswith("generated from lifecycle-map.yaml")
    assert twin == documented
    assert bundled_map() == parse_map(documented)
