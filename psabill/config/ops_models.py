"""Schema of the operational sections: approval before push and monitoring pings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = Field(
        False,
        description="Scheduled runs only plan and email the plan; an admin with pay approves.",
    )


class Monitoring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ping_url: str | None = Field(
        None,
        description="Healthchecks-style URL; pinged at /start, on success, and at /fail.",
    )
    timeout: int = Field(10, ge=1, le=120, description="Seconds to wait for a ping.")

    @field_validator("ping_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("ping_url must be an http(s) URL")
        return value
