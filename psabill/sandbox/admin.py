"""The sandbox-only admin endpoints under ``/__sandbox__/``.

They exist so a test in another process (or a person with curl) can inspect and steer a running
sandbox: read the exact PSA state, load one, reset, and change faults at run time. No real PSA
has anything like them. They are never subject to faults, and only a request the flavor accepts
(:meth:`~psabill.sandbox.flavor.Flavor.admin_allowed`: the PSA's printed demo keys, e.g.
ConnectWise's Basic credentials without ``clientId``) may use them. Their errors are the
sandbox's own ``{"code", "message"}``, whatever the PSA:

=====================================  =========================================================
``GET    /__sandbox__/state``          the flavor's state (:meth:`Flavor.dump`) as JSON
``PUT    /__sandbox__/state``          :meth:`Flavor.load` a dump
``POST   /__sandbox__/reset``          back to the state at :meth:`Sandbox.start`, no faults
``GET    /__sandbox__/faults``         the fault plan with its counters
``POST   /__sandbox__/faults``         replace the plan: ``{"seed", "rate_limit",
                                       "rules": [{"kind", "method", "path", ...}]}``
``DELETE /__sandbox__/faults``         remove every fault
``GET    /__sandbox__/requests``       the request log (method, path, status, fault)
=====================================  =========================================================
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from psabill.sandbox.api_errors import ApiError
from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.faults import FaultPlan

if TYPE_CHECKING:
    from psabill.sandbox.server import Sandbox

ADMIN_PREFIX = "/__sandbox__/"
ADMIN_PATHS = ("state", "reset", "faults", "requests")


class AdminApi:
    """Answers ``/__sandbox__/`` requests; raising :class:`ApiError` refuses one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            self._authenticate(request)
            return self._dispatch(request)
        except ApiError as error:
            return json_response(error.status, {"code": error.code, "message": error.message})

    def _authenticate(self, request: ApiRequest) -> None:
        if not self.sandbox.flavor.admin_allowed(request):
            message = "Admin endpoints need the sandbox's demo credentials (see its banner)."
            raise ApiError(401, "Unauthorized", message)

    def _dispatch(self, request: ApiRequest) -> ApiResponse:
        name = request.path.removeprefix(ADMIN_PREFIX).strip("/")
        sandbox, method = self.sandbox, request.method
        if name not in ADMIN_PATHS:
            raise ApiError(404, "NotFound", f"Unknown admin endpoint; use one of {ADMIN_PATHS}.")
        if (name, method) == ("state", "GET"):
            return json_response(200, sandbox.flavor.dump())
        if (name, method) == ("state", "PUT"):
            try:
                sandbox.flavor.load(_body(request))
            except ValueError as error:
                raise ApiError(400, "InvalidObject", str(error)) from None
            return json_response(200, {"loaded": True})
        if (name, method) == ("reset", "POST"):
            sandbox.reset()
            return json_response(200, {"reset": True})
        if (name, method) == ("faults", "GET"):
            return json_response(200, sandbox.faults.to_json())
        if (name, method) == ("faults", "POST"):
            try:
                sandbox.faults.replace(FaultPlan.from_json(_body(request)))
            except ValueError as error:
                raise ApiError(400, "InvalidObject", f"Invalid fault plan: {error}") from None
            return json_response(200, sandbox.faults.to_json())
        if (name, method) == ("faults", "DELETE"):
            sandbox.faults.clear()
            return json_response(200, sandbox.faults.to_json())
        if (name, method) == ("requests", "GET"):
            return json_response(200, sandbox.requests_json())
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported on {request.path}.")


def _body(request: ApiRequest) -> Any:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(
            400, "InvalidObject", f"The request body is not valid JSON: {error}"
        ) from None
