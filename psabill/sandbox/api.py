"""The ConnectWise Manage REST surface, independent of the HTTP transport.

:class:`ConnectWiseApi` turns an :class:`ApiRequest` into an :class:`ApiResponse`; the server in
:mod:`psabill.sandbox.server` only moves bytes and injects faults. Served under
``/v4_6_release/apis/3.0`` (the codebase ``companyinfo`` reports) plus the unauthenticated
``GET /login/companyinfo/{company}``. Paths match case-insensitively and tolerate a trailing
slash, as the real IIS/ASP.NET server does.

Authentication (the ``Authorization`` and ``clientId`` headers) is :mod:`psabill.sandbox.auth`'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from psabill.sandbox import entities
from psabill.sandbox.api_errors import ApiError, not_found
from psabill.sandbox.auth import SandboxCredentials, authenticate
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
)
from psabill.sandbox.schema import Resource
from psabill.sandbox.store import Store

API_VERSION = "2025.8"
CODEBASE = "v4_6_release/"
API_ROOT = "/" + CODEBASE + "apis/3.0"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    """The request path as received (still percent-encoded), without the query string."""
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes = b""
    site_url: str = "http://127.0.0.1"

    @property
    def params(self) -> dict[str, str]:
        """Query parameters by lower-cased name (the last occurrence wins)."""
        return {key.lower(): value for key, value in self.query}


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> ApiResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return ApiResponse(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


Handler = Callable[[ApiRequest, tuple[int, ...]], ApiResponse]
_READ_ONLY: tuple[tuple[str, Resource], ...] = (
    ("company/companies", COMPANY),
    ("finance/agreements/types", AGREEMENT_TYPE),
    ("finance/agreements", AGREEMENT),
    ("procurement/types", PRODUCT_TYPE),
    ("procurement/subcategories", SUBCATEGORY),
    ("finance/invoices", INVOICE),
)


class ConnectWiseApi:
    """Routes, authenticates and answers one request against a :class:`Store`."""

    def __init__(self, store: Store, credentials: SandboxCredentials) -> None:
        self.store = store
        self.credentials = credentials
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        for path, resource in _READ_ONLY:
            self._collection(path, resource, item_methods=("GET",))
        self._collection("procurement/catalog", CATALOG_ITEM, item_methods=("GET", "PATCH"))
        self._collection(
            "finance/agreements/(\\d+)/additions",
            ADDITION,
            item_methods=("GET", "PUT", "PATCH", "DELETE"),
        )
        self._route("system/info", {"GET": self._system_info})

    # -- routing ----------------------------------------------------------------------------

    def _route(self, pattern: str, handlers: dict[str, Handler]) -> None:
        self._routes.append((re.compile(pattern + "/?", re.IGNORECASE), handlers))

    def _collection(self, base: str, resource: Resource, *, item_methods: tuple[str, ...]) -> None:
        listing: dict[str, Handler] = {"GET": lambda r, ids: self._list(resource, r, ids)}
        item: dict[str, Handler] = {"GET": lambda r, ids: self._get(resource, r, ids)}
        writes = _WRITES.get(resource.table, {})
        if "POST" in writes:
            listing["POST"] = self._writer(resource, "POST")
        for method in item_methods:
            if method != "GET":
                item[method] = self._writer(resource, method)
        self._route(base + "/count", {"GET": lambda r, ids: self._count(resource, r, ids)})
        self._route(base + "/(\\d+)", item)
        self._route(base, listing)

    def _writer(self, resource: Resource, method: str) -> Handler:
        return lambda request, ids: self._write(resource, method, request, ids)

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer ``request``; every refusal is an :class:`ApiError` turned into its real body."""
        try:
            return self._dispatch(request)
        except ApiError as error:
            return json_response(error.status, error.body())

    def _dispatch(self, request: ApiRequest) -> ApiResponse:
        path = request.path
        info = re.fullmatch(r"/login/companyinfo/([^/]+)/?", path, re.IGNORECASE)
        if info is not None:
            if request.method != "GET":
                return _method_not_allowed(request.method, ["GET"])
            return self._company_info(unquote(info.group(1)))
        root, _, relative = path.partition("/apis/3.0/")
        if root.lower() != API_ROOT.removesuffix("/apis/3.0").lower():
            raise ApiError(404, "NotFound", f"No resource matches {path}.")
        authenticate(request.headers, self.credentials)
        for pattern, handlers in self._routes:
            match = pattern.fullmatch(relative)
            if match is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                return _method_not_allowed(request.method, sorted(handlers))
            ids = tuple(int(group) for group in match.groups())
            with self.store.lock:
                return handler(request, ids)
        raise ApiError(404, "NotFound", f"No resource matches {path}.")

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
        self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]
    ) -> list[dict[str, Any]]:
        api_url = self._api_url(request)
        if resource is ADDITION:
            entities.require_agreement(self.store, ids[0])
            return self.store.rows(
                "additions", lambda row: row.get("agreementId") == ids[0], api_url=api_url
            )
        return self.store.rows(resource.table, api_url=api_url)

    def _list(self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        query = parse_list_query(request.params, request.headers, resource)
        rows = select(self._scoped_rows(resource, request, ids), query)
        page, link = paginate(rows, query, request.site_url + request.path, request.query)
        payload = [project(row, query.fields) for row in page]
        return json_response(200, payload, [("Link", link)])

    def _count(self, resource: Resource, request: ApiRequest, ids: tuple[int, ...]) -> ApiResponse:
        query = ListQuery(condition=parse_condition(request.params.get("conditions"), resource))
        return json_response(
            200, {"count": len(select(self._scoped_rows(resource, request, ids), query))}
        )

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
        body = None if method == "DELETE" else _json_body(request)
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


def _method_not_allowed(method: str, allowed: list[str]) -> ApiResponse:
    message = f"The requested resource does not support http method '{method}'."
    response = json_response(405, ApiError(405, "MethodNotAllowed", message).body())
    response.headers.append(("Allow", ", ".join(allowed)))
    return response


def _json_body(request: ApiRequest) -> Any:
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type.lower():
        message = (
            f"Content-Type {content_type or '(none)'} is not supported; send application/json."
        )
        raise ApiError(415, "UnsupportedMediaType", message)
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(
            400, "InvalidObject", f"The request body is not valid JSON: {error}."
        ) from None
