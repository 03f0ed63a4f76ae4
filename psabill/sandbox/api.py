"""The ConnectWise Manage REST surface, independent of the HTTP transport.

:class:`ConnectWiseApi` turns an :class:`ApiRequest` into an :class:`ApiResponse`; the server in
:mod:`psabill.sandbox.server` only moves bytes and injects faults. Served under
``/v4_6_release/apis/3.0`` (the codebase ``companyinfo`` reports) plus the unauthenticated
``GET /login/companyinfo/{company}``. Paths match case-insensitively and tolerate a trailing
slash, as the real IIS/ASP.NET server does.

Authentication (the ``Authorization`` and ``clientId`` headers) is :mod:`psabill.sandbox.auth`'s,
the API members and their security roles :mod:`psabill.sandbox.security`'s, the ``Accept``
version :mod:`psabill.sandbox.versions`'s. A request is judged in that order: credentials, route,
version, method, security role, then body and record.

Before any of that, a query string over :data:`MAX_QUERY_STRING` bytes is refused as IIS request
filtering refuses it in front of ConnectWise: 404.15 with IIS's HTML error page, not JSON.

The request and response values, and the answers every route shares, are
:mod:`psabill.sandbox.api_messages`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from psabill.sandbox import entities, security, versions
from psabill.sandbox.api_errors import ApiError, not_found
from psabill.sandbox.api_messages import (
    ApiRequest,
    ApiResponse,
    json_body,
    json_response,
    method_not_allowed,
    query_string_too_long,
    versioned,
)
from psabill.sandbox.auth import SandboxCredentials, authenticate
from psabill.sandbox.body_keys import refuse_unknown_keys
from psabill.sandbox.condition_eval import stored_filter
from psabill.sandbox.model import (
    ADDITION,
    AGREEMENT,
    AGREEMENT_TYPE,
    CATALOG_ITEM,
    COMPANY,
    INVOICE,
    PRODUCT_TYPE,
    SUBCATEGORY,
)
from psabill.sandbox.query import (
    ListQuery,
    paginate,
    parse_condition,
    parse_fields,
    parse_list_query,
    project,
    select,
    shown_keys,
)
from psabill.sandbox.schema import Resource, Table
from psabill.sandbox.security import ApiMember
from psabill.sandbox.store import Store

__all__ = ["API_ROOT", "API_VERSION", "CODEBASE", "MAX_QUERY_STRING", "ConnectWiseApi", "Handler"]
__all__ += ["ApiRequest", "ApiResponse", "json_response"]  # re-exported from api_messages

API_VERSION = versions.SERVED_VERSION
CODEBASE = "v4_6_release/"
API_ROOT = "/" + CODEBASE + "apis/3.0"
MAX_QUERY_STRING = 2048
"""IIS's default ``requestLimits/@maxQueryString`` in bytes; ConnectWise advises URLs under 2000
characters (reference §3.1)."""


Handler = Callable[[ApiRequest, tuple[int, ...]], ApiResponse]


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]
    table: Table | None
    """Whose security module guards the route; ``None`` for open ones (setup tables)."""


_READ_ONLY: tuple[tuple[str, Resource], ...] = (
    ("company/companies", COMPANY),
    ("finance/agreements/types", AGREEMENT_TYPE),
    ("finance/agreements", AGREEMENT),
    ("procurement/types", PRODUCT_TYPE),
    ("procurement/subcategories", SUBCATEGORY),
    ("finance/invoices", INVOICE),
)


class ConnectWiseApi:
    """Routes, authenticates and answers one request against a :class:`Store`.

    ``members`` are the API members accepted (default: ``credentials`` with full rights plus
    the seeded members with partial roles, :func:`~psabill.sandbox.security.seed_members`).
    """

    def __init__(
        self,
        store: Store,
        credentials: SandboxCredentials,
        members: Sequence[ApiMember] | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.members = tuple(members or security.seed_members(credentials))
        self._routes: list[_Route] = []
        for path, resource in _READ_ONLY:
            self._collection(path, resource, item_methods=("GET",))
        self._collection("procurement/catalog", CATALOG_ITEM, item_methods=("GET", "PATCH"))
        self._collection(
            "finance/agreements/(\\d+)/additions",
            ADDITION,
            item_methods=("GET", "PUT", "PATCH", "DELETE"),
        )
        self._route("system/info", {"GET": self._system_info}, None)

    # -- routing ----------------------------------------------------------------------------

    def _route(self, pattern: str, handlers: dict[str, Handler], table: Table | None) -> None:
        compiled = re.compile(pattern + "/?", re.IGNORECASE)
        self._routes.append(_Route(compiled, handlers, table))

    def _collection(self, base: str, resource: Resource, *, item_methods: tuple[str, ...]) -> None:
        listing: dict[str, Handler] = {"GET": lambda r, ids: self._list(resource, r, ids)}
        item: dict[str, Handler] = {"GET": lambda r, ids: self._get(resource, r, ids)}
        writes = _WRITES.get(resource.table, {})
        if "POST" in writes:
            listing["POST"] = self._writer(resource, "POST")
        for method in item_methods:
            if method != "GET":
                item[method] = self._writer(resource, method)
        table = resource.table if resource.table in security.MODULE_OF_TABLE else None
        count: dict[str, Handler] = {"GET": lambda r, ids: self._count(resource, r, ids)}
        self._route(base + "/count", count, table)
        self._route(base + "/(\\d+)", item, table)
        self._route(base, listing, table)

    def _writer(self, resource: Resource, method: str) -> Handler:
        return lambda request, ids: self._write(resource, method, request, ids)

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer ``request``; every refusal is an :class:`ApiError` turned into its real body."""
        if request.query_length > MAX_QUERY_STRING:
            return query_string_too_long()
        try:
            return self._dispatch(request)
        except ApiError as error:
            return json_response(error.status, error.body())

    def _dispatch(self, request: ApiRequest) -> ApiResponse:
        path = request.path
        info = re.fullmatch(r"/login/companyinfo/([^/]+)/?", path, re.IGNORECASE)
        if info is not None:
            if request.method != "GET":
                return method_not_allowed(request.method, ["GET"])
            return self._company_info(unquote(info.group(1)))
        root, _, relative = path.partition("/apis/3.0/")
        if root.lower() != API_ROOT.removesuffix("/apis/3.0").lower():
            raise ApiError(404, "NotFound", f"No resource matches {path}.")
        member = self._member(request)
        for route in self._routes:
            match = route.pattern.fullmatch(relative)
            if match is None:
                continue
            versions.negotiate(request.headers.get("accept", ""), request.site_url + path)
            ids = tuple(int(group) for group in match.groups())
            return versioned(self._answer(route, member, request, ids))
        raise ApiError(404, "NotFound", f"No resource matches {path}.")

    def _member(self, request: ApiRequest) -> ApiMember:
        accepted = authenticate(request.headers, [m.credentials for m in self.members])
        return next(m for m in self.members if m.credentials is accepted)

    def _answer(
        self, route: _Route, member: ApiMember, request: ApiRequest, ids: tuple[int, ...]
    ) -> ApiResponse:
        """The answer once the version is agreed: refusals from here on are in that version."""
        try:
            handler = route.handlers.get(request.method)
            if handler is None:
                return method_not_allowed(request.method, sorted(route.handlers))
            security.require(member, route.table, request.method)
            with self.store.lock:
                return handler(request, ids)
        except ApiError as error:
            return json_response(error.status, error.body())

    # -- discovery ---------------------------------------------------------

    def _company_info(self, company: str) -> ApiResponse:
        if company.casefold() != self.credentials.company.casefold():
            return json_response(200, None)
        return json_response(
            200,
            {
                "CompanyName": "psabill sandbox",
                "Codebase": CODEBASE,
                "VersionCode": "v" + API_VERSION,
                "VersionNumber": "v4.6.99999",
                "CompanyID": self.credentials.company,
                "IsCloud": False,
            },
        )

    def _system_info(self, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        return json_response(
            200,
            {
                "version": f"v{API_VERSION}.99999",
                "isCloud": False,
                "serverTimeZone": "Eastern Standard Time",
                "licenseBits": [],
                "cloudRegion": None,
                "maxWorkFlowRecordsAllowed": 10000,
            },
        )

    # -- reading ----------------------------------------------------------------------------

    def _api_url(self, request: ApiRequest) -> str:
        return request.site_url + API_ROOT

    def _scoped_rows(
        self, resource: Resource, request: ApiRequest, ids: tuple[int, ...], query: ListQuery
    ) -> list[dict[str, Any]]:
        """The rows in scope, in id order, expanding only those that may match the condition
        (:func:`stored_filter`); the caller still selects on the expanded rows."""
        api_url, only = self._api_url(request), shown_keys(query)
        if resource is ADDITION:
            entities.require_agreement(self.store, ids[0])
            return self.store.additions_of(ids[0], api_url=api_url, only=only)
        where = stored_filter(query.condition, resource)
        return self.store.rows(resource.table, where, api_url=api_url, only=only)

    def _list(self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        query = parse_list_query(request.params, request.headers, resource)
        rows = select(self._scoped_rows(resource, request, ids, query), query)
        page, link = paginate(rows, query, request.site_url + request.path, request.query)
        payload = [project(row, query.fields) for row in page]
        return json_response(200, payload, [("Link", link)])

    def _count(self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        query = ListQuery(condition=parse_condition(request.params.get("conditions"), resource))
        rows = select(self._scoped_rows(resource, request, ids, query), query)
        return json_response(200, {"count": len(rows)})

    def _get(self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        return json_response(200, self._view(resource, request, ids))

    def _view(
        self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]
    ) -> dict[str, Any]:
        if resource is ADDITION:
            entities.require_addition(self.store, ids[0], ids[1])
        view = self.store.get(resource.table, ids[-1], api_url=self._api_url(request))
        if view is None:
            raise not_found(resource.label, ids[-1])
        return project(view, parse_fields(request.params.get("fields")))

    # -- writing ----------------------------------------------------------------------------

    def _write(
        self, resource: Resource, method: str, request: ApiRequest, ids: tuple[int, ...]
    ) -> ApiResponse:
        body = None if method == "DELETE" else json_body(request)
        if method in ("POST", "PUT"):
            refuse_unknown_keys(resource, body)
        new_id = _WRITES[resource.table][method](self.store, ids, body)
        if method == "DELETE":
            return ApiResponse(204)
        target = (*ids, new_id) if new_id is not None else ids
        return json_response(
            201 if method == "POST" else 200, self._view(resource, request, target)
        )


Write = Callable[[Store, tuple[int, ...], Any], int | None]
_WRITES: dict[str, dict[str, Write]] = {
    "catalog": {
        "POST": lambda store, ids, body: entities.create_catalog_item(store, body),
        "PATCH": lambda store, ids, body: entities.patch_catalog_item(store, ids[0], body),
    },
    "additions": {
        "POST": lambda store, ids, body: entities.create_addition(store, ids[0], body),
        "PUT": lambda store, ids, body: entities.replace_addition(store, ids[0], ids[1], body),
        "PATCH": lambda store, ids, body: entities.patch_addition(store, ids[0], ids[1], body),
        "DELETE": lambda store, ids, body: entities.delete_addition(store, ids[0], ids[1]),
    },
}
