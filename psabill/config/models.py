"""The configuration schema: the product's contract with its users.

Every field has a ``description``; ``extra="forbid"`` everywhere, so a typo is
an error with a line number rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from psabill.config.fields import CatchUp, Email, EmailList, Hour, Share, Weekday, is_loopback
from psabill.config.ops_models import Approval, Monitoring
from psabill.config.source_models import Source
from psabill.core.schedule.engine import Rule, validate_cron

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_CODEBASE = re.compile(r"[A-Za-z0-9_.\-]+/")  # as psabill.psa.connectwise.urls reads it
Outcome = Literal["success", "partial", "failure"]


class Account(BaseModel):
    model_config = _FROZEN

    name: str = Field(min_length=1, description="Your MSP's name, shown in summaries.")
    timezone: str = Field(
        "UTC",
        description='IANA time zone of the billing schedule, e.g. "America/New_York".',
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

    enabled: bool = Field(True, description="Whether `psabill sync` runs on its own when due.")
    mode: Literal["monthly", "weekly", "daily", "cron"] = Field(
        "monthly", description="How often a billing run is due."
    )
    day: int | None = Field(
        None,
        ge=1,
        le=31,
        description="Monthly: day of the month (1-31); 29-31 run on shorter months' last day.",
    )
    weekday: Weekday | None = Field(None, description='Weekly: day name, e.g. "monday".')
    hour: Hour = Field(6, description="Whole hour of the day (0-23) in the account's time zone.")
    cron: str | None = Field(
        None, description='Cron mode: a 5-field cron rule in the account zone, e.g. "0 6 * * 1".'
    )
    catch_up: CatchUp = Field(
        timedelta(hours=72),
        description='How late a missed slot may still run, e.g. "72h"; older slots are reported.',
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


class Smtp(BaseModel):
    model_config = _FROZEN

    host: str = Field("localhost", min_length=1, description="SMTP server host name.")
    port: int | None = Field(
        None, ge=1, le=65535, description="Port; default 587 (starttls), 465 (ssl), 25 (none)."
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="Transport security: starttls, ssl (implicit TLS) or none."
    )
    username: str | None = Field(None, description="Login name, if the server wants one.")
    password: SecretStr | None = Field(None, description='Password, e.g. "${SMTP_PASSWORD}".')
    sender: Email = Field("psabill@localhost", description="From address of summaries.")
    timeout: int = Field(30, ge=1, le=600, description="Seconds to wait for the server.")
    ca_bundle: Path | None = Field(None, description="CA bundle to trust instead of the system's.")

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class Notify(BaseModel):
    model_config = _FROZEN

    emails: EmailList = Field(
        (), description='Who gets run summaries: "a@x.com, b@x.com" or a list.'
    )
    on: tuple[Outcome, ...] = Field(
        ("success", "partial", "failure"), description="Which run outcomes send a summary."
    )
    transport: Literal["smtp", "folder"] = Field(
        "smtp", description='"smtp" sends through [smtp]; "folder" writes .eml files instead.'
    )
    folder: Path | None = Field(
        None, description='For transport = "folder": where .eml files go (relative: to this file).'
    )


class Psa(BaseModel):
    model_config = _FROZEN

    kind: Literal["connectwise", "autotask", "halopsa"] = Field(
        "connectwise", description="Which PSA: connectwise (autotask and halopsa are planned)."
    )
    site: str = Field(
        min_length=1,
        description='PSA site: "na.myconnectwise.net", or a URL like "https://cw.example.com".',
    )
    company: str = Field(min_length=1, description="ConnectWise login company id.")
    public_key: SecretStr = Field(description="API member public key.")
    private_key: SecretStr = Field(description='API member private key, e.g. "${CW_PRIVATE_KEY}".')
    client_id: str = Field(min_length=1, description="clientId from developer.connectwise.com.")
    codebase: str | None = Field(
        None, description='Codebase, e.g. "v2025_1/"; discovered from the site when unset.'
    )
    timeout: int = Field(30, ge=1, le=600, description="Seconds to wait for one request.")
    concurrency: int = Field(8, ge=1, le=64, description="Requests in flight at most.")
    rate_limit: int = Field(
        600,
        ge=1,
        le=10000,
        description="Requests per minute at most (ConnectWise throttles ~1000).",
    )
    retries: int = Field(
        5, ge=0, le=10, description="Retries of a failed read or idempotent write (backoff)."
    )
    ca_bundle: Path | None = Field(None, description="CA bundle to trust instead of the system's.")

    @field_validator("kind")
    @classmethod
    def _supported(cls, kind: str) -> str:
        if kind != "connectwise":
            raise ValueError(f'{kind} is planned but not supported yet; use kind = "connectwise"')
        return kind

    @field_validator("codebase")
    @classmethod
    def _one_path_part(cls, codebase: str | None) -> str | None:
        if codebase is not None and not _CODEBASE.fullmatch(codebase.strip().strip("/") + "/"):
            raise ValueError(
                f'codebase must look like "v2025_1/" (or be left unset), got {codebase!r}'
            )
        return codebase

    @field_validator("site")
    @classmethod
    def _https_unless_loopback(cls, site: str) -> str:
        text = site.strip()  # as psabill.psa.connectwise.urls.parse_site reads it
        parts = urlsplit(text if "://" in text else f"https://{text}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"site must be a host name or an http(s) URL, got {site!r}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ValueError(
                f"site has a port that is not a number from 0 to 65535: {site!r}"
            ) from None
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("site must use https:// (plain http is only allowed for loopback)")
        return site


class Contract(BaseModel):
    model_config = _FROZEN

    agreement_type: str = Field(min_length=1, description="Agreement type, matched first.")
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
        None, description="PSA catalog identifier to bill as; unmapped when unset."
    )
    sync: bool = Field(True, description="Whether this product is synced at all.")
    unit_price: Decimal | None = Field(None, ge=0, description="Unit price on new additions.")
    unit_cost: Decimal | None = Field(None, ge=0, description="Unit cost on new additions.")
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


class Customer(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1, description="Vendor customer id, as in the usage source.")
    source: str | None = Field(None, description="Source this id comes from; any when unset.")
    name: str | None = Field(None, description="Display name for summaries.")
    psa_company: str = Field(min_length=1, description="PSA company identifier (Company ID).")
    sync: bool = Field(True, description="Whether this customer is synced at all.")
    settings: Literal["global", "custom"] = Field(
        "global", description="global: use the global settings; custom: the ones below."
    )
    schedule: Schedule | None = Field(None, description="Custom: this customer's own schedule.")
    emails: EmailList = Field((), description="Custom: who gets this customer's own summary.")
    contract: Contract | None = Field(None, description="Custom: default agreement for all SKUs.")
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
        None, description="Agreement type used when a customer names no contract."
    )
    max_drop: Share = Field(
        Decimal("0.5"), description='Refuse a plan dropping a customer total by more (0.5 = "50%").'
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
    psa: Psa = Field(description="The PSA to bill through.")
    sources: tuple[Source, ...] = Field((), description="Where usage comes from.")
    products: tuple[Product, ...] = Field((), description="Vendor product -> PSA product.")
    customers: tuple[Customer, ...] = Field((), description="Vendor customer -> PSA company.")
    billing_admins: tuple[BillingAdmin, ...] = Field((), description="Billing admins.")
    approval: Approval = Field(default_factory=Approval, description="Approval before push.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Monitoring pings.")
    mappings_file: Path = Field(
        Path("mappings.toml"),
        description="File the `psabill products|customers|contracts|admins` commands write "
        "(relative: to this file); merged over this file's entries, which are never rewritten.",
    )
