"""Schema of the operational sections: run summaries, approval before push, monitoring pings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from psabill.config.fields import CatchUp, EmailList

SummaryOutcome = Literal["success", "partial", "failure"]
"""A run outcome that may send a summary (``[notify] on``)."""


class Notify(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    emails: EmailList = Field(
        (),
        description='Who gets run summaries: "a@x.com, b@x.com" or a list.',
        examples=["billing@northwind.example, ops@northwind.example"],
    )
    on: tuple[SummaryOutcome, ...] = Field(
        ("success", "partial", "failure"), description="Which run outcomes send a summary."
    )
    transport: Literal["smtp", "folder"] = Field(
        "smtp",
        description='"smtp" sends through [smtp]; "folder" writes each message as an .eml file '
        "into `folder` instead (for trying psabill without a mail server).",
    )
    folder: Path | None = Field(
        None,
        description='For transport = "folder": where .eml files go (relative: to this file).',
        examples=["outbox"],
    )
    alert_after: CatchUp = Field(
        timedelta(hours=2),
        description="A summary still unsent after this long is reported as an error and "
        "sends the monitoring fail ping (the outbox keeps retrying it).",
        examples=["2h"],
    )
    urls: tuple[SecretStr, ...] = Field(
        (),
        description="Apprise URLs that also get each run summary (Slack, Teams, ntfy, ...; "
        'see the Apprise wiki), e.g. ["ntfy://ntfy.sh/${NTFY_TOPIC}"]. Sent through the same '
        "outbox as mail. They hold tokens: use ${VAR} references; psabill prints them masked.",
    )

    @field_validator("urls")
    @classmethod
    def _service_urls(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for index, url in enumerate(value):
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://.", url.get_secret_value()):
                # never echo the value: it may be a token
                raise ValueError(f"urls[{index}] is not a URL like ntfy://ntfy.sh/TOPIC")
        return value


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = Field(
        False,
        description="true: scheduled runs only compute the plan and email it to the billing "
        "admins; nothing is pushed until one with pay_invoices runs "
        "`psabill approve RUN_ID --as EMAIL`.",
    )


class Monitoring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ping_url: str | None = Field(
        None,
        description="Healthchecks-style URL: pinged at URL/start when a run starts, at URL on "
        "success and at URL/fail on failure. A failed ping is a warning, never a failed run.",
        examples=["https://hc-ping.com/your-uuid"],
    )
    timeout: int = Field(10, ge=1, le=120, description="Seconds to wait for a ping.")

    @field_validator("ping_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("ping_url must be an http(s) URL")
        return value
