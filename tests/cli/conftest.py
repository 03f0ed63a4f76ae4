"""CLI fixtures: the sandbox world of the end-to-end tests, for commands that talk to a PSA."""

from __future__ import annotations

from tests.e2e.conftest import world as world
