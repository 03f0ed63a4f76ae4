"""Schema of the ``[[sources]]`` kinds that read a vendor's partner API directly.

One model per vendor. Each names its credentials (secrets are ``SecretStr`` and should be
written as ``"${VAR}"`` or ``"file:/path"`` references), which quantity bills, and which month
of usage a run reads. The API addresses default to the vendor's and may point at a fake on
loopback (``psabill sandbox serve --vendor ...``); anything else must be HTTPS.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, PositiveInt, SecretStr, field_validator

from psabill.config.fields import is_loopback
from psabill.config.source_base import SourceBase

SOPHOS_ID_URL = "https://id.sophos.com"
SOPHOS_API_URL = "https://api.central.sophos.com"


def https_unless_loopback(url: str, key: str) -> str:
    """``url`` without a trailing slash; plain http only for a loopback host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise ValueError(f"{key} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{key} must be an https:// URL")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(f"{key} must use https:// (plain http is only allowed for loopback)")
    return url.rstrip("/")


class SophosSource(SourceBase):
    """Sophos Central Partner API: monthly (MSP Flex) usage of every tenant in one call."""

    kind: Literal["sophos"] = Field(
        description="Usage from the Sophos Central Partner API, every tenant in one call. "
        'quantity_field picks the count that bills: "billableQuantity" (what Sophos invoices '
        'you) or "actualQuantity" (what is in use); lines of one tenant and SKU are added up.'
    )
    # The usage-line fields, with the Partner API's names as defaults (same descriptions as
    # every kind: the sample and the README list them once for all).
    customer_field: str = Field(
        "accountId", min_length=1, description=SourceBase.model_fields["customer_field"].description
    )
    quantity_field: Literal["billableQuantity", "actualQuantity"] = Field(
        "billableQuantity", description=SourceBase.model_fields["quantity_field"].description
    )
    date_field: str | None = Field(
        "billingEndDate", description=SourceBase.model_fields["date_field"].description
    )
    duplicates: Literal["sum", "refuse"] = Field(
        "sum", description=SourceBase.model_fields["duplicates"].description
    )
    client_id: str = Field(
        min_length=1,
        description="Client ID of an API credential created in Sophos Central Partner "
        "(not in a customer's Sophos Central).",
    )
    client_secret: SecretStr = Field(
        description='Its client secret, as a reference: "${SOPHOS_CLIENT_SECRET}" or '
        '"file:/run/secrets/sophos_client_secret", never written in the file.'
    )
    partner_id: str | None = Field(
        None,
        min_length=1,
        description="Partner ID sent as X-Partner-ID; unset: asked from /whoami/v1 each run.",
    )
    usage_month: Literal["current", "previous"] = Field(
        "current",
        description='Month of usage a run reads: "current" (the month of the billing period; '
        'weekly and daily schedules read the month so far) or "previous" (the month before, '
        "for a run early in the month: Sophos publishes a month's usage once it has ended).",
    )
    id_url: str = Field(
        SOPHOS_ID_URL, description="Sophos ID (token) service; change only for a test fake."
    )
    api_url: str = Field(
        SOPHOS_API_URL,
        description="Sophos Central API for /whoami/v1 (partner calls go to the host it names, "
        "or here when partner_id is set); change only for a test fake.",
    )
    timeout: PositiveInt = Field(60, description="Seconds before one request is abandoned.")

    @field_validator("id_url")
    @classmethod
    def _id_url(cls, url: str) -> str:
        return https_unless_loopback(url, "id_url")

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, url: str) -> str:
        return https_unless_loopback(url, "api_url")
