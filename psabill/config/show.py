"""Render the effective config for ``psabill config show``, secrets masked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import tomli_w

from psabill.config.models import Config

MASK = "********"
CREDENTIALS: tuple[tuple[str, str], ...] = (("psa", "client_id"),)
"""Credentials the schema keeps as plain strings, masked by their place in the config.

ConnectWise asks integrators to keep the clientId as private as a password; HaloPSA's client
id is half of its application's credentials. The other PSA secrets (Autotask's integration
code and secret, HaloPSA's client secret) are ``SecretStr`` and masked as such.
"""


def effective(config: Config) -> dict[str, Any]:
    """The config as plain data with every secret replaced by a mask and unset keys dropped."""
    data: dict[str, Any] = _mask(config.model_dump(mode="json", exclude_none=True))
    for section, key in CREDENTIALS:
        if key in data.get(section, {}):
            data[section][key] = MASK
    ping = data.get("monitoring", {}).get("ping_url")
    if ping:  # the path of a healthchecks URL is its secret
        parts = urlsplit(ping)
        data["monitoring"]["ping_url"] = f"{parts.scheme}://{parts.netloc}/{MASK}"
    for source in data.get("sources", []):
        url = source.get("url")
        if url and urlsplit(url).query:  # query strings often carry API keys
            source["url"] = urlsplit(url)._replace(query=MASK).geturl()
    return data


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, str) and value == "**********":
        return MASK
    return value


def to_toml(config: Config) -> str:
    return tomli_w.dumps(effective(config))
