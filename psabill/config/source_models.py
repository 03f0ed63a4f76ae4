"""Schema of ``[[sources]]``: where usage (seat counts) comes from.

One model per ``kind``; pydantic picks the model from the ``kind`` tag, so an
unknown key for that kind is an error that names the kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PositiveInt, SecretStr, field_validator

from psabill.config.fields import is_loopback
from psabill.config.source_base import SourceBase as _Base
from psabill.config.vendor_models import SophosSource


class CsvSource(_Base):
    kind: Literal["csv"] = Field(description="A CSV export with a header row.")
    path: Path = Field(description="CSV file; relative paths are relative to the config file.")
    delimiter: Literal["auto", ",", ";"] = Field(
        "auto", description='Field separator: "," or ";", or "auto" to detect it.'
    )


class JsonSource(_Base):
    kind: Literal["json"] = Field(description='A JSON file: a list of records or {"usage": [...]}.')
    path: Path = Field(description="JSON file; relative paths are relative to the config file.")


class CommandSource(_Base):
    kind: Literal["command"] = Field(
        description="A program whose standard output is CSV or JSON usage."
    )
    argv: list[str] = Field(
        min_length=1,
        description="Program and arguments, run directly (never through a shell).",
    )
    format: Literal["csv", "json"] = Field("csv", description="What the program prints.")
    timeout: PositiveInt = Field(300, description="Seconds before the program is stopped.")

    @field_validator("argv")
    @classmethod
    def _argv_not_blank(cls, argv: list[str]) -> list[str]:
        if not argv[0].strip():
            raise ValueError("argv[0] must name a program")
        return argv


class HttpSource(_Base):
    kind: Literal["http"] = Field(description="A JSON endpoint fetched with HTTP GET.")
    url: str = Field(
        pattern=r"^https?://", description="URL to GET; HTTPS unless the host is loopback."
    )
    token: SecretStr | None = Field(
        None,
        description='Bearer token, e.g. "${SOPHOS_TOKEN}" (environment) or "file:/run/secrets/t".',
    )
    timeout: PositiveInt = Field(60, description="Seconds before the request is abandoned.")

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError as exc:
            raise ValueError(f"url is not a valid URL ({exc})") from None
        if parts.scheme == "http" and not is_loopback(host):
            raise ValueError("url must use https:// (plain http is only allowed for loopback)")
        return url


Source = Annotated[
    CsvSource | JsonSource | CommandSource | HttpSource | SophosSource,
    Field(discriminator="kind"),
]
