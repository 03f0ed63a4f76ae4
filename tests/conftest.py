"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

MINIMAL = """\
[account]
name = "Northwind MSP"
timezone = "America/New_York"

[psa]
site = "http://127.0.0.1:8917"
company = "psabill_demo"
public_key = "${CW_PUBLIC_KEY}"
private_key = "${CW_PRIVATE_KEY}"
client_id = "${CW_CLIENT_ID}"
"""

ENV = {
    "CW_PUBLIC_KEY": "sandbox-public",
    "CW_PRIVATE_KEY": "sandbox-private",
    "CW_CLIENT_ID": "00000000-0000-4000-8000-000000000000",
    "SMTP_PASSWORD": "smtp-pass-for-tests",
}


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a config file (mode 0600) and return its path."""

    def write(text: str, name: str = "psabill.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    return write
