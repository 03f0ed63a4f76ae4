"""Fixtures for the fake Autotask tests: a demo world dated mid-2026 and raw httpx clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from psabill.sandbox.autotask import DEMO_CREDENTIALS, AutotaskSandbox
from tests.sandbox.support import make_client

TODAY = date(2026, 6, 15)


@pytest.fixture
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox(today=TODAY) as running:
        yield running


@pytest.fixture
def at_client(autotask: AutotaskSandbox) -> Iterator[httpx.Client]:
    """Authenticated client rooted at ``…/atservicesrest/v1.0``."""
    headers = DEMO_CREDENTIALS.headers()
    with make_client(base_url=autotask.api_url + "/v1.0", headers=headers) as http:
        yield http


def everything() -> dict[str, object]:
    return {"filter": [{"op": "gte", "field": "id", "value": 0}]}
