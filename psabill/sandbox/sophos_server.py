""":class:`SophosSandbox`: the fake Sophos Central on the sandbox's server core.

Same lifecycle, transport, request log and :class:`~psabill.sandbox.faults.FaultPlan` as the
fake ConnectWise server (:class:`~psabill.sandbox.server.Sandbox`); only the API behind them
(:class:`~psabill.sandbox.sophos.SophosApi`) and the admin endpoints differ. Admin endpoints
under ``/__sandbox__/`` take the demo client id and secret as Basic credentials:
``GET state`` (the world), ``GET|POST|DELETE faults``, ``GET requests``, ``POST reset``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime

from psabill.sandbox.admin import ADMIN_PREFIX, AdminApi
from psabill.sandbox.api_errors import ApiError
from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.server import Sandbox
from psabill.sandbox.sophos import SophosApi
from psabill.sandbox.sophos_data import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SophosWorld,
    seed_sophos_demo,
)
from psabill.sandbox.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


class SophosSandbox(Sandbox):
    """Sophos Central look-alike serving ``world`` on ``host:port``; ``clock`` decides which
    months are over and when tokens expire (tests pass a fake one)."""

    def __init__(
        self,
        world: SophosWorld | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(Store(), host=host, port=port, faults=faults)
        if world is None:
            world = SophosWorld()
            seed_sophos_demo(world, clock().date())
        self.world = world
        self.sophos = SophosApi(world, clock, self.faults)
        self.api = self.sophos  # type: ignore[assignment]  # the transport only calls handle()
        self.admin = _SophosAdmin(self)

    @property
    def id_url(self) -> str:
        """What a source's ``id_url`` should be."""
        return self.site_url

    @property
    def api_url(self) -> str:
        """What a source's ``api_url`` should be."""
        return self.site_url


class _SophosAdmin(AdminApi):
    sandbox: SophosSandbox

    def _authenticate(self, request: ApiRequest) -> None:
        pair = f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()
        expected = "Basic " + base64.b64encode(pair).decode()
        if request.headers.get("authorization", "").strip() != expected:
            message = "Admin endpoints need the demo client id and secret as Basic credentials."
            raise ApiError(401, "Unauthorized", message)

    def _dispatch(self, request: ApiRequest) -> ApiResponse:
        name = request.path.removeprefix(ADMIN_PREFIX).strip("/")
        if name == "state" and request.method == "GET":
            return json_response(200, self.sandbox.world.dump())
        if name == "state":
            raise ApiError(405, "MethodNotAllowed", "The fake Sophos state is read-only.")
        return super()._dispatch(request)


def source_toml(server: SophosSandbox, name: str = "sophos") -> str:
    """A ``[[sources]]`` section reading ``server``'s demo usage (last month's; the demo keys
    are public, so the secret is written as it is)."""
    lines = [
        "[[sources]]",
        f"name = {json.dumps(name)}",
        'kind = "sophos"',
        f"client_id = {json.dumps(DEMO_CLIENT_ID)}",
        '# The fake\'s public demo secret; for Sophos Central write "${SOPHOS_CLIENT_SECRET}".',
        f"client_secret = {json.dumps(DEMO_CLIENT_SECRET)}",
        'usage_month = "previous"',
        f"id_url = {json.dumps(server.id_url)}",
        f"api_url = {json.dumps(server.api_url)}",
    ]
    return "\n".join(lines) + "\n"
