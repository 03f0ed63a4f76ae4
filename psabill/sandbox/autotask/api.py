"""A fake Autotask PSA REST API behind the sandbox's transport (reference §1).

======================================================  =========================================
``GET  /atservicesrest/v1.0/zoneInformation?user=``     ``{zoneName, url, webUrl, ci}``; no auth
``POST /atservicesrest/v1.0/{Entity}/query``            filter body, pages of ``MaxRecords``
``POST /atservicesrest/v1.0/{Entity}/query/next?paging``  the next page: the same body again
``GET  /atservicesrest/v1.0/{Entity}/{id}``             ``{"item": ...}`` (``null`` if missing)
``POST /atservicesrest/v1.0/{Entity}``                  create -> ``{"itemId": n}``
``PATCH /atservicesrest/v1.0/{Entity}``                 partial update, ``id`` in the body
``GET  /atservicesrest/v1.0/{Entity}/entityInformation/fields``  fields and picklist values
``GET  /atservicesrest/v1.0/ThresholdInformation``      the hourly allowance and its use
======================================================  =========================================

Paths are matched case-insensitively, as IIS does. Odd behaviour kept on purpose: a wrong
``UserName`` or ``ApiIntegrationCode`` answers 500 (a wrong ``Secret`` 401); GET on a
``nextPageUrl`` and ``PATCH /{Entity}/{id}`` answer 405; ``MaxRecords`` outside 1-500 answers
500; ``ContractServiceAdjustments`` can be created only; more than 3 requests at once per
integration code are refused (:mod:`~psabill.sandbox.autotask.threads`). Every error body is
``{"errors": [...]}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.autotask.data import AutotaskCredentials, AutotaskWorld
from psabill.sandbox.autotask.metadata import Usage, fields_of
from psabill.sandbox.autotask.query import AutotaskError, Cursors, parse_body, run_query
from psabill.sandbox.autotask.threads import THREAD_LIMIT_MESSAGE, Gate, ThreadLimiter
from psabill.sandbox.autotask.units import scope_of, unit_rows
from psabill.sandbox.autotask.writes import create, update
from psabill.sandbox.faults import FaultPlan

ROOT = "/atservicesrest"
VERSION_ROOT = ROOT + "/v1.0"
THREAD_LIMIT_KIND = "thread_limit"
"""The :meth:`FaultPlan.injected` kind counting thread-limit refusals."""
ENTITIES = {
    name.lower(): name
    for name in (
        "Companies",
        "Contracts",
        "Services",
        "ContractServices",
        "ContractServiceUnits",
        "ContractServiceAdjustments",
        "Invoices",
    )
}
READ_ONLY = ("ContractServiceUnits", "Invoices")
_ROUTE = re.compile(r"^/([A-Za-z]+)(/query(/next)?|/(-?\d+)|/entityinformation/fields)?/?$", re.I)


class AutotaskApi:
    """Turns an :class:`ApiRequest` into the answer Autotask would give."""

    def __init__(
        self, world: AutotaskWorld, credentials: AutotaskCredentials, faults: FaultPlan
    ) -> None:
        self.world, self.credentials, self.faults = world, credentials, faults
        self.threads = ThreadLimiter()
        self.gate = Gate()
        self.cursors = Cursors()
        self.usage = Usage()

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            path = request.path.lower()
            if path.rstrip("/") == VERSION_ROOT + "/zoneinformation":
                return self._zone(request)
            if not path.startswith(VERSION_ROOT + "/"):
                raise AutotaskError(404, "The requested resource was not found.")
            code = self._authenticate(request)
            self.usage.count()
            with self.threads.slot(code) as granted:
                if not granted:
                    self.faults.count(THREAD_LIMIT_KIND)
                    raise AutotaskError(500, THREAD_LIMIT_MESSAGE)
                self.gate.enter()
                return self._route(request, request.path[len(VERSION_ROOT) :])
        except AutotaskError as error:
            return json_response(error.status, {"errors": error.messages})

    def _zone(self, request: ApiRequest) -> ApiResponse:
        if request.method != "GET":
            raise _not_allowed(request.method)
        user = request.params.get("user", "")
        if user.lower() != self.credentials.username.lower():
            raise AutotaskError(500, "Zone information could not be determined")
        zone = {
            "zoneName": "Sandbox Zone",
            "url": request.site_url + "/ATServicesRest/",
            "webUrl": request.site_url + "/",
            "ci": 0,
        }
        return json_response(200, zone)

    def _authenticate(self, request: ApiRequest) -> str:
        headers, expected = request.headers, self.credentials
        code = headers.get("apiintegrationcode", "")
        user = headers.get("username", "")
        if code != expected.integration_code or user.lower() != expected.username.lower():
            raise AutotaskError(500, "Unable to authenticate the user or the integration code.")
        if headers.get("secret", "") != expected.secret:
            raise AutotaskError(401, "Authorization has been denied for this request.")
        return code

    def _route(self, request: ApiRequest, rest: str) -> ApiResponse:
        if rest.strip("/").lower() == "thresholdinformation":
            if request.method != "GET":
                raise _not_allowed(request.method)
            return json_response(200, self.usage.information())
        match = _ROUTE.match(rest)
        entity = ENTITIES.get(match.group(1).lower()) if match else None
        if match is None or entity is None:
            raise AutotaskError(404, "The requested resource was not found.")
        method, tail, record_id = request.method, match.group(2) or "", match.group(4)
        if entity == "ContractServiceAdjustments" and (tail or method != "POST"):
            raise _not_allowed(method)
        if tail.lower().startswith("/entityinformation"):
            if method != "GET":
                raise _not_allowed(method)
            return json_response(200, {"fields": fields_of(self.world, entity)})
        if entity in READ_ONLY and not tail and method != "GET":
            raise _not_allowed(method)
        if tail.lower().startswith("/query"):
            if method != "POST":
                raise _not_allowed(method)
            return self._query(request, entity, bool(match.group(3)))
        if record_id is not None:
            if method != "GET":
                raise _not_allowed(method)
            return self._get(entity, int(record_id))
        if method == "POST":
            return json_response(200, {"itemId": create(self.world, entity, _body(request))})
        if method == "PATCH":
            return json_response(200, {"itemId": update(self.world, entity, _body(request))})
        raise _not_allowed(method)

    def _get(self, entity: str, record_id: int) -> ApiResponse:
        found = [r for r in self.world.records(entity) if r["id"] == record_id]
        return json_response(200, {"item": found[0] if found else None})

    def _query(self, request: ApiRequest, entity: str, follow: bool) -> ApiResponse:
        body = parse_body(_body(request))
        offset = 0
        if follow:
            offset = self.cursors.resume(request.params.get("paging", ""), entity, body)
        if entity == "ContractServiceUnits":
            records = unit_rows(self.world, scope_of(body.filter))
        else:
            records = self.world.records(entity)
        items, following = run_query(records, body, offset)
        base = f"{request.site_url}{ROOT}/v1.0/{entity}/query/next?paging="
        previous = max(0, offset - body.max_records)
        details = {
            "count": len(items),
            "requestCount": body.max_records,
            "prevPageUrl": base + self.cursors.issue(entity, body, previous) if offset else None,
            "nextPageUrl": (
                None if following is None else base + self.cursors.issue(entity, body, following)
            ),
        }
        return json_response(200, {"items": items, "pageDetails": details})


def _body(request: ApiRequest) -> Any:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AutotaskError(500, "The request body is not valid JSON.") from None


def _not_allowed(method: str) -> AutotaskError:
    return AutotaskError(405, f"The requested resource does not support http method '{method}'.")
