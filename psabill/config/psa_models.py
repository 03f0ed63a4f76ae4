"""Schema of ``[psa]``: the settings every PSA shares, then one model per PSA, picked by ``kind``.

The section holds secrets and endpoints, so the validators refuse what would leak a key:
plain ``http://`` to anything but loopback. A ``[psa]`` without ``kind`` is ConnectWise's,
as it was before psabill knew other PSAs, so existing configs keep working.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, ClassVar, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Discriminator, Field, SecretStr, Tag, field_validator

from psabill.config.fields import is_loopback

_CODEBASE = re.compile(r"[A-Za-z0-9_.\-]+/")  # as psabill.psa.connectwise.urls reads it
_CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"

ADAPTIVE_CEILING: Final = 900
"""Requests a minute psabill starts at when ``[psa] rate_limit`` is unset. ConnectWise says an
integration sending "over 1,000 requests per minute will likely experience rate limiting"
(Developer Guide, Rate Limiting), and that allowance is per API member, shared by whatever
else uses the member: starting a tenth below it leaves room for those and for network jitter,
since one 429 costs a ``Retry-After`` pause (30 s in ConnectWise's example) for every request."""

AUTOTASK_CEILING: Final = 80
"""Autotask's allowance is 10,000 requests an hour for the whole database, every integration
counted, and it slows every call from half of that (reference §1.5): 80 a minute is 4,800 an
hour, under the slow-down even if psabill ran for a whole hour."""
HALO_CEILING: Final = 55
"""Hosted HaloPSA has answered 429 at 300 requests per rolling 5 minutes (reference §2.5), 60 a
minute; starting a little below leaves room for the tenant's other integrations."""
AUTOTASK_ZONE_LOOKUP: Final = "https://webservices.autotask.net/atservicesrest"


class PsaCommon(BaseModel):
    """What every ``[psa]`` section takes, whatever the PSA: timeouts, limits, retries, TLS."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: int = Field(30, ge=1, le=600, description="Seconds to wait for one request.")
    concurrency: int = Field(8, ge=1, le=64, description="Requests in flight at most.")
    rate_limit: int | Literal["none"] | None = Field(
        None,
        description="Requests a minute at most. Unset: adaptive, starting at the PSA's "
        f"published allowance (ConnectWise: {ADAPTIVE_CEILING}; Autotask: "
        f"{AUTOTASK_CEILING}; HaloPSA: {HALO_CEILING}) and slowing down on 429s and rising "
        "latency. A number: a hard cap, adaptive below it. "
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

    default_ceiling: ClassVar[int] = ADAPTIVE_CEILING
    """Requests a minute the adaptive pacing starts at when ``rate_limit`` is unset."""

    @property
    def rate_ceiling(self) -> int | None:
        """Requests a minute to pace at most: the cap, the adaptive default, or None (none)."""
        if self.rate_limit == "none":
            return None
        return self.default_ceiling if self.rate_limit is None else self.rate_limit

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


class ConnectWisePsa(PsaCommon):
    """``[psa] kind = "connectwise"``: ConnectWise Manage (cloud or on-premise)."""

    kind: Literal["connectwise"] = Field(
        "connectwise", description="Which PSA: connectwise, autotask or halopsa."
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
        return web_address(site, "site")


class AutotaskPsa(PsaCommon):
    """``[psa] kind = "autotask"``: Datto Autotask PSA's REST API, as an API-only user."""

    kind: Literal["autotask"] = Field(description="Which PSA: connectwise, autotask or halopsa.")
    username: str = Field(
        min_length=1,
        description="The API-only user's username (Admin > Resources/Users, security level "
        '"API User (API-only)").',
        examples=["psabill-api@northwind.example"],
    )
    integration_code: SecretStr = Field(
        description="The API user's tracking identifier (integration code), as a reference.",
        examples=["${AUTOTASK_INTEGRATION_CODE}"],
    )
    secret: SecretStr = Field(
        description='The API user\'s secret, as a reference: "${AUTOTASK_SECRET}" or '
        '"file:/run/secrets/autotask_secret".',
        examples=["${AUTOTASK_SECRET}"],
    )
    zone_lookup: str = Field(
        AUTOTASK_ZONE_LOOKUP,
        description="Where the user's zone is looked up; every later call goes to the zone "
        "it names. Change it only for the sandbox.",
        examples=[AUTOTASK_ZONE_LOOKUP],
    )
    concurrency: int = Field(
        3,
        ge=1,
        le=3,
        description="Requests in flight at most (Autotask allows 3 threads per integration).",
    )

    default_ceiling: ClassVar[int] = AUTOTASK_CEILING

    @field_validator("zone_lookup")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        return web_address(url, "zone_lookup")


class HaloPsa(PsaCommon):
    """``[psa] kind = "halopsa"``: HaloPSA's API, as an application with client credentials."""

    kind: Literal["halopsa"] = Field(description="Which PSA: connectwise, autotask or halopsa.")
    url: str = Field(
        min_length=1,
        description='Your Halo address, e.g. "https://northwind.halopsa.com" (the resource '
        "server is its /api, the authorisation server its /auth unless authinfo says "
        "otherwise).",
        examples=["https://northwind.halopsa.com"],
    )
    client_id: str = Field(
        min_length=1,
        description="The API application's client id (Configuration > Integrations > Halo API).",
        examples=["${HALO_CLIENT_ID}"],
    )
    client_secret: SecretStr = Field(
        description='The application\'s client secret, as a reference: "${HALO_CLIENT_SECRET}".',
        examples=["${HALO_CLIENT_SECRET}"],
    )
    tenant: str | None = Field(
        None,
        description="Your tenant name, for hosted Halo (halopsa.com) instances.",
        examples=["northwind"],
    )
    concurrency: int = Field(
        2, ge=1, le=8, description="Requests in flight at most (invoice writes are serial)."
    )

    default_ceiling: ClassVar[int] = HALO_CEILING

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        return web_address(url, "url")


def _psa_kind(value: object) -> str | None:
    """The ``kind`` of a ``[psa]`` section: ConnectWise when it does not say, None (an error
    naming the kinds) when it is not text."""
    if isinstance(value, dict):
        kind = value.get("kind", "connectwise")
        return kind if isinstance(kind, str) else None
    return str(getattr(value, "kind", "connectwise"))


Psa = Annotated[
    Annotated[ConnectWisePsa, Tag("connectwise")]
    | Annotated[AutotaskPsa, Tag("autotask")]
    | Annotated[HaloPsa, Tag("halopsa")],
    Discriminator(
        _psa_kind,
        custom_error_type="psa_kind",
        custom_error_message="kind must be one of connectwise, autotask, halopsa",
    ),
]
"""The ``[psa]`` section: one model per PSA, chosen by ``kind`` (default connectwise)."""
PsaSettings = ConnectWisePsa | AutotaskPsa | HaloPsa
"""A validated ``[psa]`` section, for annotations and ``isinstance`` narrowing."""
PSA_KINDS = ("connectwise", "autotask", "halopsa")
PSA_NAMES: Final = {"connectwise": "ConnectWise", "autotask": "Autotask", "halopsa": "HaloPSA"}
"""Each kind's product name, as messages show it."""
PSA_MODELS: Final[dict[str, type[PsaCommon]]] = {
    "connectwise": ConnectWisePsa,
    "autotask": AutotaskPsa,
    "halopsa": HaloPsa,
}


def web_address(value: str, key: str) -> str:
    """An http(s) URL or host name; plain http only for loopback."""
    text = value.strip()  # as psabill.psa.connectwise.urls.parse_site reads it
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key} must be a host name or an http(s) URL, got {value!r}")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ValueError(
            f"{key} has a port that is not a number from 0 to 65535: {value!r}"
        ) from None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"{key} must use https:// (plain http is only allowed for loopback)")
    return value
