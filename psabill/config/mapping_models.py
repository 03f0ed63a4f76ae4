"""The product entries of the mappings: ``[[products]]`` and the contracts a customer names.

Split from :mod:`psabill.config.models` (which re-exports them) to keep each module small;
the customer entry stays there, next to the ``[schedule]`` it embeds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Contract(BaseModel):
    model_config = _FROZEN

    agreement_type: str = Field(
        min_length=1,
        description="Agreement type, matched first (Autotask: the contract category; HaloPSA: "
        "the recurring invoice's type, as `psabill contracts` lists it).",
    )
    agreement_name: str | None = Field(
        None, description="Agreement name within that type; needed when several are active."
    )


class ProductContract(Contract):
    product: str = Field(min_length=1, description="Vendor SKU this assignment is for.")


class Product(BaseModel):
    model_config = _FROZEN

    sku: str = Field(min_length=1, description="Vendor SKU: the stable id, not the display name.")
    source: str | None = Field(None, description="Source this SKU comes from; any when unset.")
    name: str | None = Field(None, description="Display name (may change; mappings key on sku).")
    psa_product: str | None = Field(
        None,
        description="PSA product to bill as: the ConnectWise catalog item's identifier, the "
        "Autotask service's name or the HaloPSA item's name; unmapped when unset.",
    )
    description: str | None = Field(
        None,
        min_length=1,
        description="Invoice line of new additions (what the customer sees); the catalog "
        "item's description when unset, never the SKU.",
        examples=["Sophos Intercept X Advanced - endpoint protection per device"],
    )
    sync: bool = Field(True, description="Whether this product is synced at all.")
    unit_price: Decimal | None = Field(
        None, ge=0, description="Unit price on new additions; the catalog item's when unset."
    )
    unit_cost: Decimal | None = Field(
        None, ge=0, description="Unit cost on new additions; the catalog item's when unset."
    )
    decimal_quantities: bool = Field(
        False, description="Allow fractional quantities (e.g. GB); whole numbers otherwise."
    )
    on_usage_gone: Literal["keep", "zero", "cancel"] = Field(
        "keep",
        description="When a customer's usage disappears: keep the line, set it to 0, or cancel it.",
    )
    on_psa_product_missing: Literal["pause", "create_default"] = Field(
        "pause",
        description="When the PSA product is gone: pause this product, or create a catalog item.",
    )
