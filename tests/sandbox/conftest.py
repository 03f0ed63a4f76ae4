"""Fixtures: a demo-seeded store with a fixed clock, a running sandbox and an httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, Store, seed_demo
from tests.sandbox.support import make_client

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture
def store() -> Store:
    store = Store(clock=fixed_clock)
    seed_demo(store)
    return store


@pytest.fixture
def sandbox(store: Store) -> Iterator[Sandbox]:
    with Sandbox(store) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Authenticated client rooted at ``…/v4_6_release/apis/3.0``."""
    with make_client(base_url=sandbox.api_url, headers=DEMO_CREDENTIALS.headers()) as http:
        yield http


@pytest.fixture
def admin(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Client for the ``/__sandbox__/`` admin endpoints."""
    headers = {"Authorization": DEMO_CREDENTIALS.headers()["Authorization"]}
    with make_client(base_url=sandbox.site_url, headers=headers) as http:
        yield http


@pytest.fixture
def anonymous(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Client rooted at the site URL with no credentials at all."""
    with make_client(base_url=sandbox.site_url) as http:
        yield http
