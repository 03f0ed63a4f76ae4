"""`psabill products create` names a new catalog item the way a customer's invoice should read:
the vendor's product name where psabill knows one, the SKU only as a last resort, and says which.
Against the sandbox PSA with the demo config."""

from __future__ import annotations

from typing import Any

from tests.app.mappings.conftest import World


def _catalog(world: World) -> dict[str, dict[str, Any]]:
    return {item["identifier"]: item for item in world.sandbox.store.dump()["catalog"]}


def test_the_default_description_is_the_mappings_product_name(world: World) -> None:
    # The demo maps CIXA-XDR with name = "Sophos Intercept X Advanced with XDR".
    result = world.psabill(
        "products", "create", "CIXA-XDR", "--source", "sophos", "--price", "6.25"
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        "with description 'Sophos Intercept X Advanced with XDR' (the product mapping's name)"
        in said
    )
    item = _catalog(world)["PSABILL-CIXA-XDR"]
    assert item["description"] == item["customerDescription"]
    assert item["description"] == "Sophos Intercept X Advanced with XDR"


def test_a_description_on_the_mapping_comes_first(world: World) -> None:
    text = world.setup.config.read_text(encoding="utf-8")
    text = text.replace(
        'psa_product = "LASTPASS-BUS"\n',
        'psa_product = "LASTPASS-BUS"\ndescription = "Password manager, per user"\n',
    )
    world.setup.config.write_text(text, encoding="utf-8")
    result = world.psabill(
        "products", "create", "LP-BUS", "--source", "lastpass", "--name", "LastPass",
        "--price", "7",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(the product mapping's description)" in result.output
    assert _catalog(world)["PSABILL-LP-BUS"]["description"] == "Password manager, per user"


def test_the_sku_is_the_last_resort_and_the_output_says_so(world: World) -> None:
    result = world.psabill("products", "create", "CIXA-SRV", "--source", "sophos", "--price", "5")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        "with description 'CIXA-SRV' (the SKU: no product name is known; pass --description" in said
    )
    assert _catalog(world)["PSABILL-CIXA-SRV"]["description"] == "CIXA-SRV"


def test_no_price_is_a_warning_that_it_would_bill_at_zero(world: World) -> None:
    result = world.psabill("products", "create", "CIXA-SRV", "--source", "sophos")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "warning: 'PSABILL-CIXA-SRV' has no --price: ConnectWise files it at 0" in said
    priced = world.psabill("products", "create", "X", "--price", "1", "--description", "An X")
    assert "warning:" not in priced.output
