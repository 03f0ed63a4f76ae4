"""End to end with usage from the fake Sophos Central: the demo config with its "sophos" source
reading the Partner API instead of a CSV export, synced into the sandbox PSA, all over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.config.loader import load_config
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare
from psabill.sandbox.faults import http_error
from psabill.sandbox.sophos_server import SophosSandbox
from psabill.sources import read_all
from psabill.sources.vendors.period import previous_month
from psabill.sources.vendors.records import names_seen
from tests.e2e.test_sync import ACME_MS, MUELLER_SEC


@dataclass
class SophosWorld:
    psa: Sandbox
    sophos: SophosSandbox
    setup: DemoSetup

    def psabill(self, *args: str, env: dict[str, str] | None = None) -> Result:
        argv = ["--config", str(self.setup.config), "--state-dir", str(self.setup.state_dir)]
        return CliRunner().invoke(main, [*argv, *args], env=env)

    def quantities(self) -> dict[tuple[int, str], float]:
        rows = self.psa.store.dump()["additions"]
        return {
            (r["agreementId"], r["product"]["identifier"]): r["quantity"]
            for r in rows
            if r["cancelledDate"] is None
        }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SophosWorld]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as psa, SophosSandbox() as sophos:
        setup = prepare(psa.site_url, tmp_path / "demo", sophos)
        text = setup.config.read_text().replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 3\n", 1)
        setup.config.write_text(text)
        yield SophosWorld(psa, sophos, setup)


def _last_month() -> str:
    year, month = previous_month(datetime.now(UTC).date())
    return f"{year:04d}/{month}"


def test_usage_from_sophos_syncs_into_the_psa(world: SophosWorld) -> None:
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    quantities = world.quantities()
    assert quantities[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0  # 30 + 15 billable, 47 in use
    assert quantities[(ACME_MS, "PSABILL-CIXA-XDR")] == 5.0
    assert "unmapped customer: sophos 'no-tenant-SA-0001' (10 seats" in result.stdout
    assert "unmapped customer: sophos 'ff00-newclient'" in result.stdout
    assert "unmapped product: sophos 'CIXA-SRV'" in result.stdout
    assert "billableQuantity (which bills) differs from actualQuantity" in result.stderr
    paths = [r.path for r in world.sophos.requests()]
    assert f"/partner/v1/billing/usage/{_last_month()}" in paths
    again = world.psabill("sync", "--now")
    assert again.exit_code == 0
    assert "8 unchanged" in again.stdout


def test_unpublished_usage_stops_only_the_sophos_lines(world: SophosWorld) -> None:
    world.sophos.world.usage.clear()
    result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert 'source failed: sophos "sophos": usage for ' in result.stderr + result.stdout
    assert "is not published yet (HTTP 404" in result.stderr + result.stdout
    quantities = world.quantities()
    assert quantities[(ACME_MS, "SOPHOS-IX-ADV")] == 42.0  # untouched: stopped
    assert quantities[(ACME_MS, "LASTPASS-BUS")] == 40.0  # the other sources still sync
    assert quantities[(MUELLER_SEC, "TM-WFBS-SVC")] == 19.0
    plan = world.psabill("plan", "--json")
    lines = json.loads(plan.stdout)["plan"]["lines"]
    stopped = {line["customer"] for line in lines if line["action"] == "stopped"}
    assert stopped == {"sophos:7d1f3c2e-acme", "sophos:4be1-mueller", "sophos:c0n7-contoso"}


def test_faults_on_the_vendor_are_retried_end_to_end(world: SophosWorld) -> None:
    world.sophos.faults.add(http_error(503, path="/partner/v1/tenants", times=1))
    result = world.psabill("plan")
    assert result.exit_code == 0, result.output
    assert world.sophos.faults.injected() == {"status:503": 1}
    assert "update" in result.stdout


def test_products_and_customers_list_what_sophos_reports(world: SophosWorld) -> None:
    products = world.psabill("products", "list", "--json", "--offline")
    assert products.exit_code == 0, products.output
    rows = {(r["sku"], r["source"]): r for r in json.loads(products.stdout)["products"]}
    assert rows[("CIXA-SRV", "sophos")]["status"] == "unmapped"
    assert rows[("CIXA", "sophos")]["seen_in"] == ["sophos"]
    customers = world.psabill("customers", "list", "--json", "--offline")
    assert customers.exit_code == 0, customers.output
    ids = {(r["id"], r["source"]): r for r in json.loads(customers.stdout)["customers"]}
    assert ids[("ff00-newclient", "sophos")]["status"] == "unmapped"
    assert ids[("no-tenant-SA-0001", "sophos")]["status"] == "unmapped"


def _doctor(
    world: SophosWorld, env: dict[str, str] | None = None
) -> tuple[int, dict[str, dict[str, object]]]:
    result = world.psabill("doctor", "--json", env=env)
    checks = json.loads(result.stdout)["checks"]
    return result.exit_code, {str(c["name"]): c for c in checks if "sophos" in str(c["name"])}


def test_doctor_checks_credentials_partner_and_published_usage(world: SophosWorld) -> None:
    code, checks = _doctor(world)
    assert code == 0
    assert checks['sophos "sophos": API credentials']["ok"] is True
    assert checks['sophos "sophos": partner id']["ok"] is True
    year, month = previous_month(datetime.now(UTC).date())
    published = checks[f'sophos "sophos": usage for {year:04d}-{month:02d} published']
    assert published["ok"] is True
    world.sophos.world.usage.clear()
    code, checks = _doctor(world)
    assert code == 1
    published = checks[f'sophos "sophos": usage for {year:04d}-{month:02d} published']
    assert published["ok"] is False
    assert "is not published yet (HTTP 404" in str(published["detail"])


def test_doctor_names_a_wrong_secret_and_skips_what_depends_on_it(world: SophosWorld) -> None:
    config = world.setup.config
    secret = '"${SOPHOS_CLIENT_SECRET}"'  # a literal secret is refused by the config
    config.write_text(config.read_text().replace('"sandbox-sophos-secret"', secret))
    code, checks = _doctor(world, env={"SOPHOS_CLIENT_SECRET": "wrong"})
    assert code == 1
    credentials = checks['sophos "sophos": API credentials']
    assert credentials["ok"] is False
    assert "oauth.invalid_client_secret" in str(credentials["detail"])
    assert checks['sophos "sophos": partner id']["ok"] is None


def test_psabill_demo_with_the_fake_sophos_syncs_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--vendor", "sophos", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "fake Sophos Central on http://127.0.0.1:" in result.output
    assert "unmapped customer: sophos 'no-tenant-SA-0001'" in result.output
    assert "CIXA -> SOPHOS-IX-ADV            42 -> 45        update  confirmed" in result.output
    config = (tmp_path / "psabill.toml").read_text()
    assert 'kind = "sophos"' in config
    assert "usage/sophos.csv" not in config


def test_vendor_names_are_kept_for_listings(world: SophosWorld) -> None:
    loaded = load_config(world.setup.config, {})
    results = read_all(
        loaded.config.sources, base_dir=loaded.base_dir, env={}, decimal_skus=frozenset()
    )
    names = names_seen(r for result in results for r in result.records)
    assert names[("sophos", "7d1f3c2e-acme")] == "Acme Dental Group"
    assert names[("sophos", "CIXA-SRV")] == "Intercept X for Server"
