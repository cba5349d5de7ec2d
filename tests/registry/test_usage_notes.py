"""The run report's registry notes: one entry per host, in an order that is the run's own."""

from __future__ import annotations

from bot.models import RegistryUse
from bot.registry import HttpRegistryClient, RegistrySettings

WARNINGS = (
    "mirror mirror.example lists only the tags of docker.io/library/redis the files use (1)",
    "mirror mirror.example lists 3 tags of docker.io/library/python but not 3.12.1, which the files use",
    "mirror mirror.example lists only the tags of docker.io/library/node the files use (2)",
)


def _usage(order: tuple[str, ...]) -> tuple[RegistryUse, ...]:
    client = HttpRegistryClient(RegistrySettings(use_docker_config=False), environ={})
    for text in order:
        client.note("mirror.example", text)
    assert not client.note("mirror.example", order[0])  # a repeated note is kept once
    return client.usage()


def test_notes_do_not_depend_on_which_lookup_finished_first() -> None:
    # Lookups run on several threads: the same run can record its notes in any order.
    first = _usage(WARNINGS)
    assert first == _usage(tuple(reversed(WARNINGS)))
    assert first == _usage((WARNINGS[1], WARNINGS[2], WARNINGS[0]))
    (use,) = first
    assert use.host == "mirror.example"
    assert use.notes == tuple(sorted(WARNINGS))
