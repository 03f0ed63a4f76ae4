"""The configuration schema: the product's contract with its users.

Every field has a ``description``; ``extra="forbid"`` everywhere, so a typo is
an error with a line number rather than a silently ignored setting. The field
descriptions and ``examples`` are also the sample config's text
(:mod:`psabill.config.sample`). This module holds the root :class:`Config`, the
general sections and the mapping entries; ``[psa]``/``[smtp]``, the operational
sections and ``[[sources]]`` have their own modules and are re-exported here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from psabill.config.connection_models import (
    AutotaskPsa,
    ConnectWisePsa,
    HaloPsa,
    Psa,
    PsaSettings,
    Smtp,
)
from psabill.config.fields import SET_IN_SAMPLE, CatchUp, Email, EmailList, Hour, Share, Weekday
from psabill.config.mapping_models import Contract, Product, ProductContract
from psabill.config.ops_models import Approval, Monitoring, Notify, SummaryOutcome
from psabill.config.source_models import Source
from psabill.core.schedule.engine import Rule, validate_cron

__all__ = [
    "Account",
    "AutotaskPsa",
    "BillingAdmin",
    "Config",
    "ConnectWisePsa",
    "Contract",
    "Customer",
    "HaloPsa",
    "Notify",
    "Product",
    "ProductContract",
    "Psa",
    "PsaSettings",
    "Schedule",
    "Smtp",
    "SummaryOutcome",
    "SyncSettings",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Account(BaseModel):
    model_config = _FROZEN

    name: str = Field(
        min_length=1, description="Your MSP's name, shown in summaries.", examples=["Northwind MSP"]
    )
    timezone: str = Field(
        "UTC",
        description='IANA time zone of the billing schedule, e.g. "America/New_York".',
        examples=["America/New_York"],
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'unknown time zone {value!r}; use an IANA name like "Europe/Berlin"'
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Schedule(BaseModel):
    model_config = _FROZEN

    enabled: bool = Field(
        True,
        description="Whether `psabill sync` runs on its own when due (cron or systemd call it "
        "hourly).",
    )
    mode: Literal["monthly", "weekly", "daily", "cron"] = Field(
        "monthly", description="How often a billing run is due."
    )
    day: int | None = Field(
        None,
        ge=1,
        le=31,
        description="Monthly: day of the month (1-31); 29-31 run on shorter months' last day.",
        examples=[1],
        json_schema_extra=SET_IN_SAMPLE,
    )
    weekday: Weekday | None = Field(
        None, description='Weekly: day name, e.g. "monday".', examples=["monday"]
    )
    hour: Hour = Field(
        6,
        description='Whole hour of the day (0-23) in the account\'s time zone; "06:30" is refused.',
    )
    cron: str | None = Field(
        None,
        description='Cron mode: a 5-field cron rule in the account zone, e.g. "0 6 * * 1".',
        examples=["0 6 * * 1-5"],
    )
    catch_up: CatchUp = Field(
        timedelta(hours=72),
        description="How late a missed slot may still run (machine off, CI skipped); older slots "
        "are reported as missed and never replayed.",
        examples=["72h"],
    )

    @model_validator(mode="after")
    def _fields_fit_mode(self) -> Schedule:
        wanted = {"monthly": "day", "weekly": "weekday", "cron": "cron"}.get(self.mode)
        for name in ("day", "weekday", "cron"):
            value = getattr(self, name)
            if name == wanted and value is None:
                raise ValueError(f"mode = {self.mode!r} needs `{name}`")
            if name != wanted and value is not None:
                raise ValueError(f"`{name}` does not apply to mode = {self.mode!r}")
        if self.cron is not None and (problem := validate_cron(self.cron)):
            raise ValueError(f"cron: {problem}")
        return self

    def rule(self) -> Rule:
        return Rule(
            mode=self.mode, hour=self.hour, day=self.day, weekday=self.weekday, cron=self.cron
        )


class Customer(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1, description="Vendor customer id, as in the usage source.")
    source: str | None = Field(None, description="Source this id comes from; any when unset.")
    name: str | None = Field(None, description="Display name for summaries.")
    psa_company: str = Field(
        min_length=1,
        description="PSA company: the ConnectWise company identifier (Company ID), or the "
        "Autotask company id or HaloPSA client id as text (`psabill customers map` writes it).",
    )
    sync: bool = Field(True, description="Whether this customer is synced at all.")
    settings: Literal["global", "custom"] = Field(
        "global",
        description="global: follow [schedule] and [sync]; custom: may set the four keys below.",
    )
    schedule: Schedule | None = Field(
        None, description="Custom: its own schedule, an inline table of [schedule] keys."
    )
    emails: EmailList = Field(
        (), description="Custom: who gets a customer-facing summary of just its lines."
    )
    contract: Contract | None = Field(
        None, description="Custom: default agreement for all its products: type, then name."
    )
    contracts: tuple[ProductContract, ...] = Field(
        (), description="Custom: agreement per product (wins over `contract`)."
    )

    @model_validator(mode="after")
    def _custom_only(self) -> Customer:
        if self.settings == "global":
            for name in ("schedule", "emails", "contract", "contracts"):
                if getattr(self, name):
                    raise ValueError(f'`{name}` needs settings = "custom"')
        return self


class BillingAdmin(BaseModel):
    model_config = _FROZEN

    email: Email = Field(description="The admin's email address.")
    name: str | None = Field(None, description="The admin's name.")
    view_invoices: bool = Field(True, description="May view invoices and receives summaries.")
    pay_invoices: bool = Field(False, description="May approve pushes; requires view_invoices.")

    @model_validator(mode="after")
    def _pay_needs_view(self) -> BillingAdmin:
        if self.pay_invoices and not self.view_invoices:
            raise ValueError("pay_invoices requires view_invoices (an admin who pays must see)")
        return self


class SyncSettings(BaseModel):
    model_config = _FROZEN

    agreement_type: str | None = Field(
        None,
        description="Agreement type used when a customer names no contract: the customer's only "
        "active agreement of this type is billed; several candidates are an error.",
        examples=["Managed Services"],
        json_schema_extra=SET_IN_SAMPLE,
    )
    max_drop: Share = Field(
        Decimal("0.5"),
        description="Refuse a plan that drops a customer's total by more than this share "
        '(0.5 = "50%") unless `psabill sync --allow-drop`.',
        examples=["50%"],
    )
    max_rise: Decimal = Field(
        Decimal(10),
        gt=1,
        description="Hold a customer whose line would rise to more than this many times its "
        "last synced quantity (10 = ten-fold; a typo in an export) unless `psabill sync "
        "--allow-rise`. New lines and lines rising from 0 are never held.",
    )
    rise_floor: Decimal = Field(
        Decimal(20),
        ge=0,
        description="A line ending at or below this quantity is never held for rising.",
    )


class Config(BaseModel):
    model_config = _FROZEN

    account: Account = Field(description="Who you are and your time zone.")
    schedule: Schedule = Field(
        default_factory=lambda: Schedule(day=1), description="When billing runs are due."
    )
    sync: SyncSettings = Field(default_factory=SyncSettings, description="Global sync settings.")
    notify: Notify = Field(default_factory=Notify, description="Who gets run summaries.")
    smtp: Smtp = Field(default_factory=Smtp, description="How summaries are sent.")
    psa: Psa = Field(
        description="The PSA to bill through. Try psabill safely first against the built-in "
        "sandbox: `psabill sandbox serve --print-config` (add `--psa autotask` or `--psa "
        "halopsa` for those PSAs)."
    )
    sources: tuple[Source, ...] = Field(
        (),
        description="Usage sources: where seat counts come from. `kind` (csv, json, command "
        "or http) picks the keys an entry takes.",
    )
    products: tuple[Product, ...] = Field(
        (), description="Product mappings: vendor SKU -> PSA product."
    )
    customers: tuple[Customer, ...] = Field(
        (),
        description="Customer mappings: vendor customer -> PSA company (ConnectWise: its "
        "Company ID; Autotask, HaloPSA: its id).",
    )
    billing_admins: tuple[BillingAdmin, ...] = Field(
        (),
        description="Billing admins: who gets summaries and may approve pushes. Being one "
        "here grants nothing in the PSA itself.",
    )
    approval: Approval = Field(default_factory=Approval, description="Approval before push.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Monitoring pings.")
    mappings_file: Path = Field(
        Path("mappings.toml"),
        description="psabill never rewrites this file: its products, customers, contracts and "
        "admins commands write their edits to this second file (relative: next to this one). "
        "On load it is merged over this one: an entry there with the same key (product sku + "
        "source, customer id + source, admin email) replaces the entry here wholesale, other "
        "entries are added, and removals are recorded there.",
    )
