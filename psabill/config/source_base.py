"""What every ``[[sources]]`` kind shares: its name and which field of a usage row holds what."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Unique name of this source; products and customers refer to it.",
    )
    duplicates: Literal["sum", "refuse"] = Field(
        "refuse",
        description=(
            "What to do when one (customer, SKU) pair appears on several rows: "
            '"sum" adds them up, "refuse" fails this source (nothing is taken twice).'
        ),
    )
    customer_field: str = Field(
        "customer_id", min_length=1, description="Column/field holding the vendor customer id."
    )
    sku_field: str = Field(
        "sku", min_length=1, description="Column/field holding the vendor product SKU."
    )
    quantity_field: str = Field(
        "quantity", min_length=1, description="Column/field holding the seat count."
    )
    date_field: str | None = Field(
        None, description="Optional column/field holding the as-of date of the count."
    )
