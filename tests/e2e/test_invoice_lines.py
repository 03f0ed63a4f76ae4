"""What a customer's invoice shows, end to end: `psabill sync` over real HTTP to the sandbox.

A new addition carries the catalog item's (or the mapping's) description, price and cost,
never the SKU and never a price left to the PSA; only an agreement active on the billing date
is billed. The sandbox copies nothing from the catalog, so what is stored is what was sent.
Which agreement bills (expired, not started, the billing date) is judged on each PSA
(``psa_world``); what a new line carries is read from ConnectWise's records.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.report import SyncRequest
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox.entities import patch_catalog_item
from tests.e2e.conftest import World

ACME_MS, MUELLER_MS, NORTHWIND_MS, HARBOR_MS, CONTOSO_SEC = 1500, 1501, 1503, 1505, 1506
NORTHWIND_NEXT, CONTOSO_MS = 1508, 1509
SOPHOS_IX_ADV = 700
SKUS = {"CIXA", "CIXA-XDR", "WFBS-SVC", "LP-BUS", "CONNECT-STD"}


def _rewrite(world: World, old: str, new: str) -> None:
    text = world.setup.config.read_text(encoding="utf-8")
    assert old in text
    world.setup.config.write_text(text.replace(old, new, 1), encoding="utf-8")


def _live(world: World) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["agreementId"], r["product"]["identifier"]): r for r in world.additions()}


def _created(world: World, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old = {row["id"] for row in before}
    return [row for row in world.additions() if row["id"] not in old]


def test_new_additions_carry_the_catalog_description_price_and_cost(world: World) -> None:
    before = world.additions()
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    lines = {
        (row["agreementId"], row["product"]["identifier"]): (
            row["description"], row["unitPrice"], row["unitCost"],
        )
        for row in _created(world, before)
    }  # fmt: skip
    assert lines == {
        (MUELLER_MS, "SOPHOS-IX-ADV"): ("Sophos Intercept X Advanced", 4.5, 2.75),
        (CONTOSO_SEC, "SOPHOS-IX-ADV"): ("Sophos Intercept X Advanced", 4.5, 2.75),
        (HARBOR_MS, "LASTPASS-BUS"): ("LastPass Business", 7.0, 4.0),
        # The catalog item psabill repaired CIXA-XDR with: named and priced by the mapping.
        (ACME_MS, "PSABILL-CIXA-XDR"): ("Sophos Intercept X Advanced with XDR", 6.25, 3.9),
    }
    assert not {description for description, _, _ in lines.values()} & SKUS


def test_a_description_on_the_mapping_is_the_invoice_line(world: World) -> None:
    _rewrite(
        world,
        'psa_product = "LASTPASS-BUS"\n',
        'psa_product = "LASTPASS-BUS"\ndescription = "Password manager, per user"\n',
    )
    assert world.psabill("sync", "--now").exit_code == 0
    line = _live(world)[(HARBOR_MS, "LASTPASS-BUS")]
    assert (line["description"], line["unitPrice"]) == ("Password manager, per user", 7.0)


def test_no_price_anywhere_is_an_error_line_never_an_addition_at_zero(world: World) -> None:
    _rewrite(world, 'unit_price = "6.25"\nunit_cost = "3.90"\n', "")
    result = world.psabill("sync", "--now", "--json")
    assert result.exit_code == 3, result.output
    [line] = [x for x in json.loads(result.stdout)["plan"]["lines"] if x["sku"] == "CIXA-XDR"]
    assert line["action"] == "error"
    assert line["why"].startswith("no unit price: PSA product 'SOPHOS-XDR-2025' is not in")
    assert "so it would bill at 0; set unit_price" in line["why"]
    catalog = {item["identifier"] for item in world.sandbox.store.dump()["catalog"]}
    assert "PSABILL-CIXA-XDR" not in catalog  # no 0-priced item either
    assert all(row["unitPrice"] > 0 for row in world.additions())


class _Recording(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, keeping the JSON body of every POST of an addition."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.posts: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/additions"):
            self.posts.append(json.loads(request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_catalog_price_of_zero_is_sent_as_zero(world: World) -> None:
    patch = [{"op": "replace", "path": "price", "value": 0}]
    patch_catalog_item(world.sandbox.store, SOPHOS_IX_ADV, patch)
    recording = _Recording()

    def client(psa: Psa) -> ConnectWiseClient:
        policy = RetryPolicy(max_retries=psa.retries)
        return ConnectWiseClient(psa, policy=policy, transport=recording)

    runner = Runner(load_config(world.setup.config, {}), world.setup.state_dir, {}, psa=client)
    result = runner.run(SyncRequest(trigger="manual", acting_admin="test"))
    assert result.report.outcome == "success", result.report
    sophos = [post for post in recording.posts if post["product"]["id"] == SOPHOS_IX_ADV]
    assert len(sophos) == 2  # Müller and Contoso
    for post in sophos:
        assert (post["unitPrice"], post["unitCost"]) == (0, 2.75)
        assert post["description"] == "Sophos Intercept X Advanced"
    assert len(recording.posts) == 4
    assert all({"unitPrice", "unitCost", "description"} <= set(p) for p in recording.posts)


def test_an_expired_agreement_is_an_error_line_naming_it(psa_world: World) -> None:
    # Contoso's only Managed Services agreement ended on 2024-06-30 (never cancelled).
    world = psa_world
    contoso = world.ids.company("Contoso")
    assert world.psabill("customers", "map", "bh-lp-2002", contoso).exit_code == 0
    result = world.psabill("sync", "--now", "--json")
    assert result.exit_code == 3, result.output
    lines = json.loads(result.stdout)["plan"]["lines"]
    [line] = [x for x in lines if x["customer"] == "lastpass:bh-lp-2002"]
    assert line["action"] == "error"
    assert line["agreement_name"] == "Contoso - Managed Services (2022-2024)"
    expired = world.agreement(CONTOSO_MS)
    assert line["why"].endswith(
        f'"Contoso - Managed Services (2022-2024)" (#{expired}) is Expired (ended 2024-06-30)'
    )
    assert not [key for key in world.quantities() if key[0] == CONTOSO_MS]
    assert {x["action"] for x in lines if x is not line} <= {"create", "update"}


def test_the_billing_date_decides_whether_an_agreement_is_active(psa_world: World) -> None:
    """On 2024-06-03 Contoso's Managed Services agreement still ran, whatever it says today."""
    world = psa_world
    contoso = world.ids.company("Contoso")
    assert world.psabill("customers", "map", "bh-lp-2002", contoso).exit_code == 0
    result = world.psabill("sync", "--now", "--dry-run", "--json", now="2024-06-03T12:00:00Z")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.stdout)["plan"]["lines"]
    [line] = [x for x in lines if x["customer"] == "lastpass:bh-lp-2002"]
    assert (line["action"], line["agreement_id"]) == ("create", world.agreement(CONTOSO_MS))


def test_a_not_yet_started_agreement_is_never_billed(psa_world: World) -> None:
    world = psa_world
    northwind = f'name = "Northwind Logistics"\npsa_company = "{world.ids.company("Northwind")}"\n'
    world.rewrite(
        northwind,
        f'{northwind}settings = "custom"\n'
        'contract = { agreement_type = "Managed Services", '
        'agreement_name = "Northwind - Managed Services (next term)" }\n',
    )
    result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert "Northwind - Managed Services (next term)" in result.output
    assert "is Inactive (starts 2099-01-01)" in " ".join(result.output.split())
    quantities = world.quantities()
    assert quantities[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 55.0
    assert not [key for key in quantities if key[0] == NORTHWIND_NEXT]


def test_expired_and_future_terms_beside_the_active_one_are_ignored(psa_world: World) -> None:
    """Northwind has three Managed Services agreements; only one is active, and it is billed."""
    world = psa_world
    northwind = [
        a["agreementStatus"]
        for a in world.sandbox.store.dump()["agreements"]
        if a["company"]["identifier"] == "Northwind"
    ]
    assert sorted(northwind) == ["Active", "Expired", "Inactive"]
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 58.0


def test_a_saved_plan_without_prices_never_creates_an_addition_at_zero(world: World) -> None:
    """A plan saved before prices were planned (unit_price null on its create lines)."""
    plan_file = world.setup.directory / "plan.json"
    assert world.psabill("plan", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    for line in data["lines"]:
        line["unit_price"] = line["unit_cost"] = line["description"] = None
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    before = world.additions()
    result = world.psabill("sync", "--plan", str(plan_file))
    assert result.exit_code == 3, result.output
    assert "no unit price for 'SOPHOS-IX-ADV': it would bill at 0" in " ".join(
        result.output.split()
    )
    assert _created(world, before) == []
    assert _live(world)[(NORTHWIND_MS, "GOTO-CONNECT-STD")]["quantity"] == 58.0
