"""Schema of the two services psabill connects to: ``[psa]`` and ``[smtp]``.

Both hold secrets and endpoints, so their validators refuse what would leak a
key or a password: plain ``http://`` to anything but loopback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from psabill.config.fields import SET_IN_SAMPLE, Email, is_loopback

_CODEBASE = re.compile(r"[A-Za-z0-9_.\-]+/")  # as psabill.psa.connectwise.urls reads it
_CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"

ADAPTIVE_CEILING: Final = 900
"""Requests a minute psabill starts at when ``[psa] rate_limit`` is unset. ConnectWise says an
integration sending "over 1,000 requests per minute will likely experience rate limiting"
(Developer Guide, Rate Limiting), and that allowance is per API member, shared by whatever
else uses the member: starting a tenth below it leaves room for those and for network jitter,
since one 429 costs a ``Retry-After`` pause (30 s in ConnectWise's example) for every request."""


class Smtp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(
        "localhost",
        min_length=1,
        description="SMTP server host name.",
        examples=["smtp.northwind.example"],
    )
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port; default 587 (starttls), 465 (ssl), 25 (none).",
        examples=[587],
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="Transport security: starttls, ssl (implicit TLS) or none."
    )
    username: str | None = Field(
        None,
        description="Login name, if the server wants one.",
        examples=["psabill@northwind.example"],
        json_schema_extra=SET_IN_SAMPLE,
    )
    password: SecretStr | None = Field(
        None,
        description='Password, e.g. "${SMTP_PASSWORD}".',
        examples=["${SMTP_PASSWORD}"],
        json_schema_extra=SET_IN_SAMPLE,
    )
    sender: Email = Field(
        "psabill@localhost",
        description="From address of summaries.",
        examples=["psabill@northwind.example"],
    )
    timeout: int = Field(30, ge=1, le=600, description="Seconds to wait for the server.")
    ca_bundle: Path | None = Field(
        None, description="CA bundle to trust instead of the system's.", examples=[_CA_BUNDLE]
    )

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class Psa(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["connectwise", "autotask", "halopsa"] = Field(
        "connectwise", description="Which PSA: connectwise (autotask and halopsa are planned)."
    )
    site: str = Field(
        min_length=1,
        description='Your ConnectWise site: "na.myconnectwise.net" (cloud; psabill adds the '
        'api- prefix) or your on-premise URL, like "https://cw.example.com".',
        examples=["na.myconnectwise.net"],
    )
    company: str = Field(
        min_length=1, description="ConnectWise login company id.", examples=["northwind"]
    )
    public_key: SecretStr = Field(
        description="API member public key (System > Members > API Members).",
        examples=["${CW_PUBLIC_KEY}"],
    )
    private_key: SecretStr = Field(
        description="API member private key.",
        examples=["${CW_PRIVATE_KEY}"],
    )
    client_id: str = Field(
        min_length=1,
        description="clientId from developer.connectwise.com.",
        examples=["${CW_CLIENT_ID}"],
    )
    codebase: str | None = Field(
        None,
        description='Codebase, e.g. "v2025_1/"; discovered from the site when unset.',
        examples=["v2025_1/"],
    )
    timeout: int = Field(30, ge=1, le=600, description="Seconds to wait for one request.")
    concurrency: int = Field(8, ge=1, le=64, description="Requests in flight at most.")
    rate_limit: int | Literal["none"] | None = Field(
        None,
        description="Requests a minute at most. Unset: adaptive, starting at "
        f"{ADAPTIVE_CEILING} (ConnectWise throttles an API member above about 1,000 a minute, "
        "shared by every integration using it) and slowing down on 429s and rising latency. "
        "A number: a hard cap, adaptive below it. "
        '"none": no limit (sandboxes, on-premise servers without one).',
        examples=[600],
    )
    retries: int = Field(
        5,
        ge=0,
        le=10,
        description="Retries of a failed read or idempotent write, with exponential backoff. "
        "A create (POST) is never retried blindly: psabill re-reads first.",
    )
    ca_bundle: Path | None = Field(
        None, description="CA bundle to trust instead of the system's.", examples=[_CA_BUNDLE]
    )

    @property
    def rate_ceiling(self) -> int | None:
        """Requests a minute to pace at most: the cap, the adaptive default, or None (none)."""
        if self.rate_limit == "none":
            return None
        return ADAPTIVE_CEILING if self.rate_limit is None else self.rate_limit

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _rate_limit(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            return None if value is None else "none"
        number = value
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 10000:
            raise ValueError(
                "rate_limit must be a number of requests a minute from 1 to 10000, "
                f'or "none" for no limit (leave it unset to adapt), got {value!r}'
            )
        return number

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
