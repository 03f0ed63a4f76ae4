"""The PSA-facing commands on Autotask and HaloPSA, against their sandboxes over loopback.

Both sandboxes serve the ConnectWise demo MSP, translated: companies are named by their id,
products by the Service or Item name (:class:`Identifiers`). Each command must work through
:class:`~psabill.psa.base.PsaClient` and speak the PSA's words, or say in one line, with an
exit code and no traceback, what the PSA does not offer.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import tomli_w
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.sandbox import autotask, halopsa
from psabill.sandbox.seed import seed_demo
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store

KINDS = ("autotask", "halopsa")


class Names(Protocol):
    def company(self, cw_identifier: str) -> str: ...

    def catalog(self, cw_identifier: str) -> str: ...


@dataclass
class Psa:
    kind: str
    sandbox: Sandbox
    section: dict[str, Any]
    names: Names


@pytest.fixture(scope="module", params=KINDS)
def psa(request: pytest.FixtureRequest) -> Iterator[Psa]:
    store = Store()
    seed_demo(store)
    if request.param == "autotask":
        with autotask.AutotaskSandbox(store) as at:
            section = autotask.psa_section(at)
            yield Psa("autotask", at, section, autotask.Identifiers.of(store))
    else:
        with halopsa.HaloSandbox(store) as halo:
            section = halopsa.psa_section(halo)
            yield Psa("halopsa", halo, section, halopsa.Identifiers.of(store))


@dataclass
class World:
    psa: Psa
    config: Path
    state: Path

    def run(self, *args: str) -> Result:
        env = {"PSABILL_STATE_DIR": str(self.state)}
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], env=env)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception  # a traceback is a bug, whatever the PSA lacks
        return result

    def mappings(self) -> dict[str, Any]:
        return tomllib.loads((self.config.parent / "mappings.toml").read_text(encoding="utf-8"))


@pytest.fixture
def world(psa: Psa, tmp_path: Path) -> World:
    psa.sandbox.reset()
    (tmp_path / "usage.csv").write_text("customer,sku,qty\nacme,IXA,3\nmueller,TM,4\n")
    config = {
        "account": {"name": "Northwind MSP", "timezone": "UTC"},
        "psa": psa.section | {"rate_limit": "none"},
        "notify": {
            "transport": "folder",
            "folder": "mail",
            "emails": ["billing@northwind.example"],
        },
        "sync": {"agreement_type": "Managed Services"},
        "sources": [
            {
                "name": "usage",
                "kind": "csv",
                "path": "usage.csv",
                "customer_field": "customer",
                "sku_field": "sku",
                "quantity_field": "qty",
            }
        ],
        "customers": [{"id": "acme", "psa_company": psa.names.company("AcmeDental")}],
        "products": [{"sku": "IXA", "psa_product": psa.names.catalog("SOPHOS-IX-ADV")}],
    }
    path = tmp_path / "psabill.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    path.chmod(0o600)
    return World(psa, path, tmp_path / "state")


def test_doctor_passes_and_names_the_psa(world: World) -> None:
    result = world.run("doctor")
    assert result.exit_code == 0, result.output
    assert f"PSA: {world.psa.kind} at http://127.0.0.1:" in result.output
    assert "codebase" not in result.output
    company, agreement = (
        ("company", "contract") if world.psa.kind == "autotask" else ("client", "recurring invoice")
    )
    assert f"every PSA {company} and {agreement} found" in result.output
    assert "connectwise" not in result.output.casefold()


def test_doctor_json_keeps_its_keys(world: World) -> None:
    report = json.loads(world.run("doctor", "--json").stdout)
    assert {"ok", "kind", "site", "api_url", "codebase", "checks", "sections"} <= set(report)
    assert (report["ok"], report["kind"]) == (True, world.psa.kind)
    assert report["api_url"].startswith("http://127.0.0.1:")


def test_doctor_reports_wrong_credentials_without_leaking_them(world: World) -> None:
    key = "secret" if world.psa.kind == "autotask" else "client_secret"
    right = world.psa.section[key]
    world.config.write_text(world.config.read_text().replace(right, "not-the-right-one-42"))
    result = world.run("doctor")
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "not-the-right-one-42" not in result.output


def test_products_search_lists_the_psa_products_by_name(world: World) -> None:
    result = world.run("products", "search", "soph")
    assert result.exit_code == 0, result.output
    assert "Sophos Intercept X Advanced" in result.output
    found = json.loads(world.run("products", "search", "soph", "--json").stdout)["items"]
    assert world.psa.names.catalog("SOPHOS-IX-ADV") in {item["identifier"] for item in found}
    nothing = world.run("products", "search", "zzqq")
    assert nothing.exit_code == 0
    noun = "service" if world.psa.kind == "autotask" else "item"
    assert f"no {noun} in the PSA matches 'zzqq'" in nothing.output


def test_customers_search_shows_the_id_as_the_identifier(world: World) -> None:
    acme = world.psa.names.company("AcmeDental")
    result = world.run("customers", "search", "acme")
    assert result.exit_code == 0, result.output
    assert "Identifier (id)" in result.output
    row = next(line for line in result.output.splitlines() if "Acme Dental Group" in line)
    assert row.split()[0] == acme
    found = json.loads(world.run("customers", "search", "acme", "--json").stdout)["companies"]
    assert [c["identifier"] for c in found] == [acme]


def test_customers_map_takes_the_exact_name_and_writes_the_id(world: World) -> None:
    mueller = world.psa.names.company("MuellerSoehne")
    result = world.run("customers", "map", "mueller", "Müller & Söhne GmbH")
    assert result.exit_code == 0, result.output
    entries = world.mappings()["customers"]
    assert [(e["id"], e["psa_company"]) for e in entries] == [("mueller", mueller)]
    by_id = world.run("customers", "map", "mueller", mueller)
    assert by_id.exit_code == 0, by_id.output
    assert "already bills to" in by_id.output


def test_customers_map_refuses_an_unknown_company_in_the_psas_words(world: World) -> None:
    result = world.run("customers", "map", "mueller", "Nobody Here Inc")
    assert result.exit_code == 2
    company = "company" if world.psa.kind == "autotask" else "client"
    assert f"no PSA {company} has the id or name 'Nobody Here Inc'" in result.output


def test_customers_verify_and_a_broken_mapping(world: World) -> None:
    assert world.run("customers", "verify").exit_code == 0
    world.config.write_text(
        world.config.read_text().replace(
            f'psa_company = "{world.psa.names.company("AcmeDental")}"', 'psa_company = "999999"'
        )
    )
    result = world.run("customers", "verify")
    assert result.exit_code == 1
    company = "company" if world.psa.kind == "autotask" else "client"
    assert f"PSA {company} '999999' was not found" in result.output


def test_contracts_list_and_assign_in_the_psas_words(world: World) -> None:
    listed = world.run("contracts", "list")
    assert listed.exit_code == 0, listed.output
    header = "Contract category" if world.psa.kind == "autotask" else "Recurring invoice type"
    assert header in listed.output
    world.run("customers", "map", "mueller", world.psa.names.company("MuellerSoehne"))
    assigned = world.run("contracts", "assign", "mueller", "--type", "Security Services")
    assert assigned.exit_code == 0, assigned.output
    noun = "contract" if world.psa.kind == "autotask" else "recurring invoice"
    assert f'found {noun} "Müller - Security Services"' in assigned.output
    missing = world.run("contracts", "assign", "mueller", "--type", "Backup Services")
    assert missing.exit_code == 2
    assert "the PSA has no active" in missing.output
    assert "'Backup Services'" in missing.output


def test_invoices_list(world: World) -> None:
    result = world.run("invoices", "list", "--period", "2024-11", "--json")
    assert result.exit_code == 0, result.output
    numbers = {invoice["number"] for invoice in json.loads(result.stdout)["invoices"]}
    assert numbers == {"INV-10231"}  # only the mapped customer's company
    empty = world.run("invoices", "list", "--period", "2019-01")
    assert empty.exit_code == 0, empty.output
    assert "no invoices in 2019-01 for Acme Dental Group" in empty.output  # a name, not an id


def test_products_create_works_or_says_the_psa_does_not_allow_it(world: World) -> None:
    result = world.run("products", "create", "IXA", "--price", "4.50")
    if world.psa.kind == "autotask":
        assert result.exit_code == 1
        assert "psabill does not create services in Autotask" in result.output
        assert not (world.config.parent / "mappings.toml").exists()
    else:
        assert result.exit_code == 0, result.output
        assert "item 'PSABILL-IXA'" in result.output
        products = world.mappings()["products"]
        assert [(p["sku"], p["psa_product"]) for p in products] == [("IXA", "PSABILL-IXA")]
