"""The fake HaloPSA's per-invoice line lookup: it copies only the invoice's own lines, and its
answers are byte for byte the ones the copy-everything lookup gave."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.sandbox import FaultPlan
from psabill.sandbox.halopsa import DEMO_CREDENTIALS, HaloSandbox, HaloWorld
from tests.sandbox.support import make_client

ACME, BLUE_HARBOR, NEGATIVE = 250, 254, -1505


def copy_everything(world: HaloWorld, header_id: int) -> list[dict[str, Any]]:
    """The lookup as it was: copy every line, then keep one invoice's (the reference)."""
    return [line for line in world.records("lines") if line["ihid"] == header_id]


class Uncopyable:
    """A value that fails the test if anything deep-copies it."""

    copies = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Uncopyable:
        Uncopyable.copies += 1
        raise AssertionError("a line of another invoice was copied")


def test_only_the_invoices_own_lines_are_copied() -> None:
    world = HaloWorld()
    world.put("lines", {"id": 1, "ihid": 7, "qty_order": 2})
    world.put("lines", {"id": 2, "ihid": 8, "secret_of_8": Uncopyable()})
    Uncopyable.copies = 0
    found = world.lines_of(7)
    assert found == [{"id": 1, "ihid": 7, "qty_order": 2}]
    with pytest.raises(AssertionError, match="another invoice"):
        world.lines_of(8)  # the trap works: copying line 2 is detected
    assert Uncopyable.copies == 1
    found[0]["qty_order"] = 99
    assert world.get("lines", 1) == {"id": 1, "ihid": 7, "qty_order": 2}  # a copy


@given(
    st.lists(
        st.tuples(st.integers(-3, 3), st.integers(0, 50)),
        max_size=40,
        unique_by=lambda pair: pair[1],
    ),
    st.randoms(use_true_random=False),
)
def test_same_lines_in_the_same_order_as_copying_everything(
    lines: list[tuple[int, int]], rng: random.Random
) -> None:
    """Whatever order lines were stored in (new ids, loads, deletes), the answer is the
    reference's: the invoice's lines in id order, as equal copies."""
    world = HaloWorld()
    shuffled = list(lines)
    rng.shuffle(shuffled)
    for ihid, line_id in shuffled:
        world.put("lines", {"id": line_id, "ihid": ihid, "qty_order": line_id * 2})
    for header in range(-4, 5):
        assert world.lines_of(header) == copy_everything(world, header)


@pytest.fixture
def halo() -> Iterator[HaloSandbox]:
    with HaloSandbox(faults=FaultPlan(rate_limit=None)) as running:
        line = running.world.get("lines", 9000)
        assert line is not None
        assert running.world.get("lines", 1) is None
        running.world.put("lines", {**line, "id": 1, "qty_order": 17})  # stored last, lowest id
        yield running


@pytest.fixture
def api(halo: HaloSandbox) -> Iterator[httpx.Client]:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEMO_CREDENTIALS.client_id,
        "client_secret": DEMO_CREDENTIALS.client_secret,
        "scope": "all",
    }
    with make_client(base_url=halo.site_url) as plain:
        token = plain.post("/auth/token", params={"tenant": "psabill"}, data=form).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with make_client(base_url=halo.api_url, headers=headers) as client:
        yield client


def test_http_answers_are_byte_identical(
    api: httpx.Client, halo: HaloSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists with ``includelines`` and single GETs with ``includedetails`` answer the same
    bytes whichever lookup serves them (line 1 was stored out of id order on purpose)."""
    requests: list[tuple[str, dict[str, str]]] = [
        ("/RecurringInvoice", {"client_ids": f"{ACME},{BLUE_HARBOR}", "includelines": "true"}),
        ("/RecurringInvoice", {"includelines": "true", "pageinate": "true", "page_size": "3"}),
        ("/RecurringInvoice/1500", {"includedetails": "true"}),
        (f"/RecurringInvoice/{NEGATIVE}", {"includedetails": "true"}),
    ]
    fast = [api.get(path, params=params).content for path, params in requests]
    assert b'"qty_order": 17' in fast[0] or b'"qty_order":17' in fast[0]
    monkeypatch.setattr(halo.world, "lines_of", lambda header: copy_everything(halo.world, header))
    slow = [api.get(path, params=params).content for path, params in requests]
    assert fast == slow
