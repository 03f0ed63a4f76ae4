"""Schema of the two services psabill connects to: ``[psa]`` and ``[smtp]``.

Both hold secrets and endpoints, so their validators refuse what would leak a
key or a password: plain ``http://`` to anything but loopback. The ``[psa]``
models live in :mod:`psabill.config.psa_models` and are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from psabill.config.fields import SET_IN_SAMPLE, Email
from psabill.config.psa_models import (
    ADAPTIVE_CEILING,
    AUTOTASK_CEILING,
    AUTOTASK_ZONE_LOOKUP,
    HALO_CEILING,
    PSA_KINDS,
    AutotaskPsa,
    ConnectWisePsa,
    HaloPsa,
    Psa,
    PsaCommon,
    PsaSettings,
)

__all__ = [
    "ADAPTIVE_CEILING",
    "AUTOTASK_CEILING",
    "AUTOTASK_ZONE_LOOKUP",
    "HALO_CEILING",
    "PSA_KINDS",
    "AutotaskPsa",
    "ConnectWisePsa",
    "HaloPsa",
    "Psa",
    "PsaCommon",
    "PsaSettings",
    "Smtp",
]

_CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"


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
