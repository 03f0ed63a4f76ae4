"""Identifiers no escape can carry, and batches near the URL limit: the client against the sandbox.

ConnectWise documents no escape inside quoted condition strings, and the sandbox (strict) has
none. These tests run :class:`ConnectWiseClient` over real loopback HTTP and check both what
comes back (the right records, nothing else) and what was asked (no backslash ever written into
a condition, ordinary values still batched, no query string over IIS's 2,048 bytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from psabill.errors import PsaError
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.connectwise.mapping import condition_literal
from psabill.sandbox import FaultPlan, Sandbox, Store, seed_demo
from tests.psa.conftest import FakeClock, run
from tests.psa.support import sandbox_psa

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
AWKWARD = [
    'Quote"Co',
    "O'Brien",
    "Back\\slash",
    "Trail\\",
    "Both\"And'Co",
    "A+B",
    "Smith&Sons",
    "Müller-Ärzte",
    "Rocket🚀",
    '"\\',  # nothing but characters that cannot be quoted: only a full read finds it
]
DECOYS = [
    "Quote",
    "QuoteCo",
    'Quote\\"Co',  # what the old backslash escape would have asked for
    "Back",
    "Backslash",
    "Back\\\\slash",
    "O''Brien",
    "OBrien",
    "A B",
    "AB",
    "Smith",
    "Muller-Arzte",
    "Rocket",
    "Both\"And'Co2",
    "Trail",
    "Trail\\\\",
    '"',
    "\\",
]
PROBED = ["Back\\slash", "Trail\\", "Both\"And'Co", '"\\']
"""The awkward identifiers without an escape-free literal: one extra query each."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    store = Store(clock=lambda: NOW)
    seed_demo(store)
    for n, identifier in enumerate(AWKWARD + DECOYS):
        store.add_company(identifier, f"Company {n}")
        store.add_catalog_item(identifier, f"Item {n}")
    with Sandbox(store, faults=FaultPlan(clock=clock.monotonic)) as running:
        yield running


def client(sandbox: Sandbox, clock: FakeClock) -> ConnectWiseClient:
    psa = sandbox_psa(sandbox, rate_limit=6000)
    return ConnectWiseClient(psa, sleep=clock.sleep, monotonic=clock.monotonic, timeout=5.0)


def list_requests(sandbox: Sandbox, endpoint: str) -> list[tuple[int | None, str, str]]:
    """``(status, raw query, conditions)`` of every list request to ``endpoint``."""
    return [
        (r.status, r.query, parse_qs(r.query).get("conditions", [""])[0])
        for r in sandbox.requests()
        if r.path.endswith("/" + endpoint)
    ]


def ids_by_identifier(sandbox: Sandbox, table: str) -> dict[str, int]:
    return {row["identifier"]: row["id"] for row in sandbox.store.dump()[table]}


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("Acme", '"Acme"'),
        ("O'Brien", '"O\'Brien"'),
        ('Quote"Co', "'Quote\"Co'"),
        ("A+B & Ü🚀", '"A+B & Ü🚀"'),
        ("", '""'),
        ("Back\\slash", None),
        ("Trail\\", None),
        ("Both\"And'Co", None),
    ],
)
def test_condition_literal_never_needs_an_escape(value: str, literal: str | None) -> None:
    assert condition_literal(value) == literal


@pytest.mark.parametrize(
    ("table", "endpoint"), [("companies", "company/companies"), ("catalog", "procurement/catalog")]
)
def test_awkward_identifiers_find_exactly_their_records(
    sandbox: Sandbox, clock: FakeClock, table: str, endpoint: str
) -> None:
    wanted = [*AWKWARD, "AcmeDental" if table == "companies" else "M365-BP"]

    async def read(c: ConnectWiseClient) -> Any:
        if table == "companies":
            return await c.companies(wanted)
        return await c.catalog_items(wanted)

    found = run(client(sandbox, clock), read)

    ids = ids_by_identifier(sandbox, table)
    assert sorted((item.identifier, item.id) for item in found) == sorted(
        (identifier, ids[identifier]) for identifier in wanted
    )
    asked = list_requests(sandbox, endpoint)
    assert [status for status, _, _ in asked] == [200] * (1 + len(PROBED))
    assert not any("\\" in conditions for _, _, conditions in asked)
    batched = [conditions for _, _, conditions in asked if conditions.startswith("identifier in")]
    assert len(batched) == 1  # the ordinary and the single-quoted values share one query
    assert "'Quote\"Co'" in batched[0]
    assert '"O\'Brien"' in batched[0]


def test_search_with_a_quote_or_backslash_finds_what_contains_it(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    needles = ['Quote"Co', "k\\s", '"\\', "And'Co"]

    async def search(c: ConnectWiseClient) -> Any:
        return [await c.search_catalog(needle, limit=50) for needle in needles]

    results = run(client(sandbox, clock), search)

    rows = sandbox.store.dump()["catalog"]
    for needle, found in zip(needles, results, strict=True):
        expected = {
            row["identifier"]
            for row in rows
            if needle.casefold() in row["identifier"].casefold()
            or needle.casefold() in row["description"].casefold()
        }
        assert expected
        assert {item.identifier for item in found} == expected
    asked = list_requests(sandbox, "procurement/catalog")
    assert [status for status, _, _ in asked] == [200] * len(needles)
    assert not any("\\" in conditions for _, _, conditions in asked)


LONG = "Grüße & Söhne + Partner (Zürich) / Müller "


def long_identifiers(count: int) -> list[str]:
    """``count`` catalog identifiers of the maximum 75 characters, heavy to percent-encode."""
    return [(f"LONG-{n:03d} " + LONG * 2)[:75] for n in range(count)]


def test_a_large_batch_is_split_under_the_query_string_limit(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    wanted = long_identifiers(120)
    for identifier in wanted:
        sandbox.store.add_catalog_item(identifier, "Long one")
    reader = client(sandbox, clock)
    reader.session.page_size = 4  # each batch reads several pages through Link: re-encoded

    found = run(reader, lambda c: c.catalog_items(wanted))

    assert sorted(item.identifier for item in found) == sorted(wanted)
    asked = list_requests(sandbox, "procurement/catalog")
    lengths = [len(query.encode()) for _, query, _ in asked]
    assert [status for status, _, _ in asked] == [200] * len(asked)
    assert max(lengths) <= 2048
    assert len({conditions for _, _, conditions in asked}) > 5  # really split in batches
    assert len(asked) > len({conditions for _, _, conditions in asked})  # and paged by Link


def test_without_batching_the_sandbox_refuses_the_long_query(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    wanted = long_identifiers(40)
    for identifier in wanted:
        sandbox.store.add_catalog_item(identifier, "Long one")
    reader = client(sandbox, clock)
    reader.session.url_budget = 100_000  # one batch for everything

    with pytest.raises(PsaError, match="404"):
        run(reader, lambda c: c.catalog_items(wanted))

    [(status, query, _)] = list_requests(sandbox, "procurement/catalog")
    assert status == 404
    assert len(query.encode()) > 2048
