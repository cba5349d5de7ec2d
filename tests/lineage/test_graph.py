"""The lineage graph: what is built on what, cycles reported and not followed, parents first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.lineage.graph import LineageGraph
from bot.lineage.model import Dockerfile, Publication, RepoFacts, Usage


def dockerfile(repo: str, path: str = "Dockerfile") -> Dockerfile:
    return Dockerfile(repo, path)


def use(d: Dockerfile, image: str, tag: str = "1", line: int = 1) -> Usage:
    return Usage(d, line, "from", image, tag, None)


def pub(d: Dockerfile, image: str, tags: tuple[str, ...] = ()) -> Publication:
    return Publication(image, d, "config", f"publishes[{d.key}]", tags)


def graph(*items: Usage | Publication) -> LineageGraph:
    repos: dict[str | None, list[Usage | Publication]] = {}
    for item in items:
        d = item.dockerfile
        repos.setdefault(d.repo, []).append(item)
    facts = tuple(
        RepoFacts(
            repo,
            tuple(sorted({i.dockerfile for i in found})),
            tuple(i for i in found if isinstance(i, Usage)),
            tuple(i for i in found if isinstance(i, Publication)),
        )
        for repo, found in repos.items()
    )
    return LineageGraph(facts)


BASE, SVC_A, SVC_B, API = (
    dockerfile(r) for r in ("acme/base", "acme/svc-a", "acme/svc-b", "acme/api")
)
PY_BASE, SVC_IMAGE = "ghcr.io/acme/python-base", "ghcr.io/acme/svc-a"


def organisation() -> LineageGraph:
    return graph(
        use(BASE, "docker.io/library/python", "3.12.1-slim"),
        pub(BASE, PY_BASE),
        use(SVC_A, PY_BASE, "1.4"),
        pub(SVC_A, SVC_IMAGE),
        use(SVC_B, PY_BASE, "1.4"),
        use(API, SVC_IMAGE, "2.0"),
        use(dockerfile("acme/api", "tools/Dockerfile"), "docker.io/library/golang"),
    )


def test_downstream_goes_through_our_images_nearest_first() -> None:
    reach = organisation().downstream([PY_BASE])
    assert [(e.usage.dockerfile.repo, e.depth, e.through) for e in reach.entries] == [
        ("acme/svc-a", 1, (PY_BASE,)),
        ("acme/svc-b", 1, (PY_BASE,)),
        ("acme/api", 2, (PY_BASE, SVC_IMAGE)),
    ]
    assert reach.summary() == "3 images in 3 repositories"
    assert organisation().downstream(["docker.io/library/python"]).summary() == (
        "4 images in 4 repositories"
    )


def test_repositories_run_parents_first() -> None:
    g = organisation()
    order = g.order(["acme/api", "acme/svc-b", "acme/svc-a", "acme/base", "acme/other"])
    assert order.index("acme/base") < order.index("acme/svc-a") < order.index("acme/api")
    assert order.index("acme/base") < order.index("acme/svc-b")
    assert g.repositories_built_on(PY_BASE) == ("acme/svc-a", "acme/svc-b")


def test_a_cycle_is_reported_and_not_followed() -> None:
    a, b = dockerfile("x/a"), dockerfile("x/b")
    g = graph(use(a, "ghcr.io/x/b"), pub(a, "ghcr.io/x/a"), use(b, "ghcr.io/x/a"), pub(b, "ghcr.io/x/b"),
              use(dockerfile("x/self"), "ghcr.io/x/self"), pub(dockerfile("x/self"), "ghcr.io/x/self"))  # fmt: skip
    assert g.cycles == (("ghcr.io/x/a", "ghcr.io/x/b"), ("ghcr.io/x/self",))
    assert [e.usage.dockerfile.repo for e in g.downstream(["ghcr.io/x/a"]).entries] == [
        "x/b",
        "x/a",
    ]
    assert sorted(g.order(["x/b", "x/a"])) == ["x/a", "x/b"]
    assert [p.image for p in g.upstream("ghcr.io/x/a")] == ["ghcr.io/x/a", "ghcr.io/x/b"]


def test_publishers_of_a_tag_prefer_those_that_name_it() -> None:
    py311, py312 = (
        dockerfile("acme/base", "3.11/Dockerfile"),
        dockerfile("acme/base", "3.12/Dockerfile"),
    )
    g = graph(pub(py311, PY_BASE, ("3.11",)), pub(py312, PY_BASE, ("3.12",)))
    assert [p.dockerfile for p in g.publishers(PY_BASE, "3.12")] == [py312]
    assert len(g.publishers(PY_BASE, "latest")) == 2


names = st.sampled_from([f"r/{c}" for c in "abcdef"])


@given(st.lists(st.tuples(names, names), max_size=30), st.lists(names, max_size=6, unique=True))
def test_any_graph_walks_each_dockerfile_once_and_orders_every_repository(
    edges: list[tuple[str, str]], repos: list[str]
) -> None:
    """Repository X builds image X; ``(x, y)``: Y's Dockerfile is built on X's image."""
    names = {n for e in edges for n in e} | set(repos)
    items: list[Usage | Publication] = [pub(dockerfile(n), f"ghcr.io/{n}") for n in names]
    items += [use(dockerfile(child), f"ghcr.io/{parent}") for parent, child in edges]
    g = graph(*items)
    for start in repos:
        entries = g.downstream([f"ghcr.io/{start}"]).entries
        assert len({e.usage.dockerfile for e in entries}) == len(entries)
    order = g.order(repos)
    assert sorted(order) == sorted(repos)
    in_cycle = {i.removeprefix("ghcr.io/") for c in g.cycles for i in c}
    for parent, child in edges:
        if (
            parent in repos
            and child in repos
            and parent != child
            and not in_cycle & {parent, child}
        ):
            assert order.index(parent) < order.index(child)
