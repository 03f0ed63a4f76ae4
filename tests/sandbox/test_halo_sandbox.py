"""The fake HaloPSA over real loopback HTTP: auth, lists, writes, odd behaviour, faults."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from psabill.config.models import HaloPsa
from psabill.sandbox import FaultPlan, Store, http_error, seed_demo
from psabill.sandbox.halopsa import (
    DEMO_CREDENTIALS,
    OVERLAP_MESSAGE,
    RATE_LIMIT_TEXT,
    HaloSandbox,
    Identifiers,
    psa_section,
)
from tests.sandbox.support import make_client

FORM = {
    "grant_type": "client_credentials",
    "client_id": DEMO_CREDENTIALS.client_id,
    "client_secret": DEMO_CREDENTIALS.client_secret,
    "scope": "all",
}
ACME, BLUE_HARBOR = 250, 254
NEGATIVE = -1505  # Blue Harbor's current Managed Services header
CALCULATED_LINE = 9002  # Müller's Microsoft 365 line


@pytest.fixture
def halo() -> Iterator[HaloSandbox]:
    with HaloSandbox(faults=FaultPlan(rate_limit=None)) as running:
        yield running


@pytest.fixture
def api(halo: HaloSandbox) -> Iterator[httpx.Client]:
    with make_client(base_url=halo.site_url) as plain:
        token = plain.post("/auth/token", params={"tenant": "psabill"}, data=FORM).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with make_client(base_url=halo.api_url, headers=headers) as client:
        yield client


def test_authinfo_and_token_rules(halo: HaloSandbox) -> None:
    with make_client(base_url=halo.site_url) as http:
        info = http.get("/api/authinfo").json()
        assert info == {"auth_url": halo.site_url + "/auth", "tenant_id": "psabill"}
        assert http.post("/auth/token", data=FORM).status_code == 400  # tenant missing
        wrong = {**FORM, "client_secret": "nope"}
        refused = http.post("/auth/token", params={"tenant": "psabill"}, data=wrong)
        assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})
        good = http.post("/auth/token", params={"tenant": "psabill"}, data=FORM).json()
        assert good["token_type"] == "Bearer"
        assert good["expires_in"] == 3600
        bearer = {"Authorization": f"Bearer {good['access_token']}"}
        assert http.get("/api/Client").status_code == 401
        assert http.get("/api/Client", headers=bearer).status_code == 200
        halo.halo.tokens.expire_all()
        assert http.get("/api/Client", headers=bearer).status_code == 401


def test_lists_are_wrapped_and_paged(api: httpx.Client) -> None:
    everything = api.get("/Client", params={"includeinactive": "true"}).json()
    assert everything["record_count"] == 6
    assert len(everything["clients"]) == 6
    active = api.get("/Client").json()
    assert active["record_count"] == 5  # the deleted Northwind is inactive
    pages = [
        api.get("/Client", params={"pageinate": "true", "page_size": 2, "page_no": n}).json()
        for n in (1, 2, 3, 4)
    ]
    assert [len(p["clients"]) for p in pages] == [2, 2, 1, 0]
    assert {p["record_count"] for p in pages} == {5}
    huge = api.get("/Item", params={"pageinate": "true", "page_size": 5000}).json()
    assert huge["page_size"] == 999  # never more than 999 a page, whatever is asked
    assert api.get("/ClientContract").json()["record_count"] == 9  # the cancelled one left out


def test_recurring_invoices_filters_lines_and_negative_ids(api: httpx.Client) -> None:
    listed = api.get("/RecurringInvoice", params={"client_id": BLUE_HARBOR}).json()
    assert sorted(h["id"] for h in listed["invoices"]) == [NEGATIVE, 1504]
    assert all("lines" not in h for h in listed["invoices"])
    with_lines = api.get(
        "/RecurringInvoice", params={"client_ids": f"{ACME},{BLUE_HARBOR}", "includelines": "1"}
    ).json()
    acme = next(h for h in with_lines["invoices"] if h["id"] == 1500)
    assert sorted(line["qty_order"] for line in acme["lines"]) == [38, 42]
    one = api.get(f"/RecurringInvoice/{NEGATIVE}", params={"includedetails": "true"}).json()
    assert (one["id"], one["lines"], one["contract_id"]) == (NEGATIVE, [], 1505)
    missing = api.get("/RecurringInvoice/1505")
    assert missing.status_code == 404
    assert "1505" in missing.text


def test_post_is_an_array_of_upserts(api: httpx.Client, halo: HaloSandbox) -> None:
    assert api.post("/Item", json={"name": "x"}).status_code == 400  # not an array
    created = api.post("/Item", json=[{"id": 0, "name": "New seat"}]).json()
    assert isinstance(created, dict)
    assert created["name"] == "New seat"
    both = api.post("/Item", json=[{"id": created["id"], "baseprice": 3}, {"name": "Two"}]).json()
    assert isinstance(both, list)
    assert both[0]["baseprice"] == 3
    assert both[0]["name"] == "New seat"
    assert api.post("/Item", json=[{"id": 99999, "name": "ghost"}]).status_code == 404


def test_updatelines_checks_the_header_and_calculated_quantities(
    api: httpx.Client, halo: HaloSandbox
) -> None:
    wrong = api.post("/RecurringInvoice/updatelines", json=[{"id": 9000, "ihid": 1501}])
    assert wrong.status_code == 400
    locked = api.post(
        "/RecurringInvoice/updatelines",
        json=[{"id": CALCULATED_LINE, "ihid": 1501, "qty_order": 3}],
    )
    assert locked.status_code == 400
    assert "calculated" in locked.text
    done = api.post(
        "/RecurringInvoice/updatelines", json=[{"id": 9000, "ihid": 1500, "qty_order": 50}]
    )
    assert done.json()["qty_order"] == 50
    assert halo.world.get("lines", 9000)["qty_order"] == 50  # type: ignore[index]


def test_lines_append_duplicates_and_process_is_logged(
    api: httpx.Client, halo: HaloSandbox
) -> None:
    line = {"ihid": NEGATIVE, "_itemid": 703, "qty_order": 4}
    first = api.post("/RecurringInvoice/Lines", json=[line]).json()
    second = api.post("/RecurringInvoice/Lines", json=[line]).json()
    assert first["id"] != second["id"]
    assert first["item_code"] == "LastPass Business"
    assert [x["_itemid"] for x in halo.world.lines_of(NEGATIVE)] == [703, 703]
    assert (
        api.post("/RecurringInvoice/Lines", json=[{"ihid": 1, "_itemid": 703}]).status_code == 400
    )
    assert api.post("/RecurringInvoice/process", json=[1500]).status_code == 200
    assert halo.world.processed == [1500]


def test_a_header_posted_with_lines_keeps_only_those(api: httpx.Client, halo: HaloSandbox) -> None:
    """Whether Halo deletes the lines left out is unknown; the fake does (the harmful way)."""
    api.post("/RecurringInvoice", json=[{"id": 1500, "lines": [{"id": 9000}]}])
    assert [line["id"] for line in halo.world.lines_of(1500)] == [9000]


def test_overlapping_writes_to_one_invoice_fail(api: httpx.Client, halo: HaloSandbox) -> None:
    body = [{"id": 9000, "ihid": 1500, "qty_order": 43}]
    answers: list[httpx.Response] = []
    with halo.halo.api.hold_writes() as (entered, release):
        worker = threading.Thread(
            target=lambda: answers.append(api.post("/RecurringInvoice/updatelines", json=body))
        )
        worker.start()
        assert entered.wait(5)
        clash = api.post("/RecurringInvoice/Lines", json=[{"ihid": 1500, "_itemid": 700}])
        release.set()
        worker.join(5)
    assert clash.status_code == 400
    assert clash.text == OVERLAP_MESSAGE
    assert halo.halo.api.overlaps == 1
    assert answers[0].status_code == 200  # the first write went through
    other = api.post("/RecurringInvoice/updatelines", json=[{"id": 9000, "ihid": 1500}])
    assert other.status_code == 200  # once it is done, the invoice is free again


def test_rate_limit_answers_halos_429() -> None:
    with HaloSandbox(faults=FaultPlan(rate_limit=(2, 300.0))) as halo, make_client() as http:
        statuses = [http.get(halo.site_url + "/api/authinfo") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].text == RATE_LIMIT_TEXT
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 300
    assert halo.faults.injected().get("rate_limit") == 1


def test_default_limit_is_halos_and_faults_speak_halo() -> None:
    assert HaloSandbox().flavor.rate_limit() == (300, 300.0)
    plan = FaultPlan([http_error(500, times=1)], rate_limit=None)
    with HaloSandbox(faults=plan) as halo, make_client() as http:
        failed = http.get(halo.site_url + "/api/authinfo")
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/plain")
    assert halo.faults.injected() == {"status:500": 1}


def test_billed_identifiers_and_config() -> None:
    store = Store()
    seed_demo(store)
    halo = HaloSandbox(store)
    billed = halo.billed(date(2025, 1, 15))
    northwind_lastpass = [
        b for b in billed if b.agreement_id == 1503 and b.product_identifier == "LastPass Business"
    ]
    assert [(b.quantity, b.cancelled) for b in northwind_lastpass] == [(Decimal(12), True)]
    ids = Identifiers.of(store)
    assert ids.company("acmedental") == "250"
    assert ids.company("nobody") == "nobody"
    assert ids.catalog("SOPHOS-IX-ADV") == "Sophos Intercept X Advanced"
    assert ids.agreement(1505) == NEGATIVE
    assert ids.agreement(1500) == 1500
    with halo:
        section, url = psa_section(halo), halo.site_url
    config = HaloPsa(**section)
    assert (config.url, config.tenant, section["client_id"]) == (url, "psabill", "psabill-demo")


def test_reset_restores_the_world(api: httpx.Client, halo: HaloSandbox) -> None:
    api.post("/RecurringInvoice/Lines", json=[{"ihid": NEGATIVE, "_itemid": 703}])
    assert halo.world.lines_of(NEGATIVE)
    halo.reset()
    assert halo.world.lines_of(NEGATIVE) == []


def test_admin_endpoints_take_the_demo_application(halo: HaloSandbox) -> None:
    with make_client(base_url=halo.site_url) as http:
        assert http.get("/__sandbox__/state").status_code == 401
        auth = (DEMO_CREDENTIALS.client_id, DEMO_CREDENTIALS.client_secret)
        state = http.get("/__sandbox__/state", auth=auth).json()
    assert state["format"] == "psabill-halopsa/1"
    assert {row["id"] for row in state["recurring"]} >= {NEGATIVE, 1500}
