"""One authenticated ConnectWise API session: discovery, requests, decoding, paging, batching.

* The codebase comes from ``psa.codebase`` or ``GET {site}/login/companyinfo/{company}``
  (asked once, lazily). When it was discovered, the first 404 triggers one more ``companyinfo``
  (cloud upgrades move the codebase); if it moved, the request is sent again to the new one.
* Every API request carries Basic auth ``company+publicKey:privateKey``, ``clientId`` and the
  pinned ``Accept`` version. The credentials live only in the header map passed to httpx; the
  :class:`~psabill.psa.connectwise.answers.Redactor` scrubs them from anything the server echoes.
* Lists are read ``pageSize`` rows at a time following ``Link: rel="next"`` (only to the same
  origin and endpoint; otherwise by page number) and stop on a short page.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx

from psabill.config.models import ConnectWisePsa
from psabill.errors import PsaError
from psabill.psa.connectwise.answers import Redactor, status_error, unexpected
from psabill.psa.connectwise.mapping import Malformed, Row, map_list
from psabill.psa.connectwise.urls import CompanyInfo, Site, normalise_codebase, parse_company_info
from psabill.psa.http import HttpClient

T = TypeVar("T")
API_VERSION = "2025.8"
"""The ConnectWise REST models psabill is written against (reference §1.4, the spec's version).
Pinned on every API request: without a pin ConnectWise serves its latest models, which may
change shape under psabill. A server that does not serve this version refuses the requests
(``psabill doctor`` says so)."""
ACCEPT = f"application/vnd.connectwise.com+json; version={API_VERSION}"
PAGE_SIZE = 1000
URL_BUDGET = 1800
"""Longest URL psabill builds; ConnectWise advises staying under 2000 (reference §3.1), and IIS
in front of it refuses a query string over 2,048 bytes."""


class CwSession:
    page_size: int = PAGE_SIZE
    """Rows per page; tests lower it to exercise paging on small data."""
    url_budget: int = URL_BUDGET

    def __init__(self, psa: ConnectWisePsa, site: Site, http: HttpClient) -> None:
        self.site = site
        self.company = psa.company
        self.http = http
        self._configured = psa.codebase is not None
        self.codebase: str | None = normalise_codebase(psa.codebase) if psa.codebase else None
        self.cloud = site.cloud
        self._refetched = False
        self._lock = asyncio.Lock()
        self._api_url: tuple[str | None, str] = (None, "")
        """The codebase the API URL was last built for, and that URL."""
        public, private = psa.public_key.get_secret_value(), psa.private_key.get_secret_value()
        token = base64.b64encode(f"{psa.company}+{public}:{private}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            "clientId": psa.client_id,
            "Accept": ACCEPT,
        }
        self.redact = Redactor([private, public, token])

    def __repr__(self) -> str:
        return f"CwSession(site={self.site.url!r}, company={self.company!r})"

    # -- discovery -----------------------------------------------------------------------------

    async def api_url(self) -> str:
        if self.codebase is None:  # every request asks; only discovery needs the lock
            async with self._lock:
                if self.codebase is None:
                    info = await self.company_info()
                    self.codebase, self.cloud = info.codebase, self.cloud or info.cloud
        if self._api_url[0] != self.codebase:
            self._api_url = (self.codebase, self.site.api_url(self.codebase))
        return self._api_url[1]

    async def company_info(self) -> CompanyInfo:
        endpoint = f"login/companyinfo/{self.company}"
        url = self.site.company_info_url(self.company)
        response = await self.http.request("GET", url, target=endpoint)
        if response.status_code >= 400:
            raise status_error(response, "GET", endpoint, cloud=self.cloud, redact=self.redact)
        return parse_company_info(self.decode(response, endpoint), self.company, endpoint)

    async def _codebase_moved(self) -> bool:
        if self._configured or self._refetched:
            return False
        self._refetched = True
        try:
            info = await self.company_info()
        except PsaError:
            return False
        async with self._lock:
            moved = info.codebase != self.codebase
            self.codebase = info.codebase
        return moved

    # -- requests ------------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        rediscover: bool = True,
    ) -> httpx.Response:
        """The raw answer, whatever its status (``check_access`` reads 403s). A 404 makes a
        discovered codebase be asked again unless ``rediscover`` is off (an expected 404)."""
        response = await self._send_once(method, endpoint, params, body, idempotent)
        if response.status_code == 404 and rediscover and await self._codebase_moved():
            response = await self._send_once(method, endpoint, params, body, idempotent)
        return response

    async def _send_once(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, str] | None,
        body: Any,
        idempotent: bool | None,
    ) -> httpx.Response:
        url = f"{await self.api_url()}/{endpoint}"
        return await self.http.request(
            method,
            url,
            params=params,
            json=body,
            headers=self._headers,
            idempotent=idempotent,
            target=endpoint,
        )

    async def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded JSON of a successful answer; ``PsaError`` for any other."""
        response = await self.send(
            method, endpoint, params=params, body=body, idempotent=idempotent
        )
        self.raise_for_status(response, method, endpoint)
        return self.decode(response, f"{method} {endpoint}", write=method != "GET")

    def raise_for_status(self, response: httpx.Response, method: str, endpoint: str) -> None:
        if response.status_code >= 300:
            raise status_error(response, method, endpoint, cloud=self.cloud, redact=self.redact)

    def decode(self, response: httpx.Response, endpoint: str, *, write: bool = False) -> Any:
        """JSON with doubles as ``Decimal``; an HTML page or broken JSON is a ``PsaError``."""
        kind = response.headers.get("Content-Type", "")
        if kind and "json" not in kind.lower():
            shown = kind.split(";")[0].strip()
            problem = f"HTTP {response.status_code} with {shown} instead of JSON"
            raise unexpected(endpoint, problem, write=write)
        try:
            return json.loads(response.content, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError):
            problem = f"HTTP {response.status_code} with a body that is not valid JSON"
            raise unexpected(endpoint, problem, write=write) from None

    def map(
        self, payload: Any, mapper: Callable[[Row], T], endpoint: str, *, write: bool = False
    ) -> list[T]:
        try:
            return map_list(payload, mapper, "rows")
        except Malformed as problem:
            raise unexpected(endpoint, self.redact(str(problem)), write=write) from None

    def map_one(
        self, payload: Any, mapper: Callable[[Row], T], endpoint: str, *, write: bool = False
    ) -> T:
        return self.map([payload], mapper, endpoint, write=write)[0]

    # -- lists ---------------------------------------------------------------------------------

    async def rows(
        self,
        endpoint: str,
        *,
        fields: str,
        conditions: str | None = None,
        order_by: str = "id asc",
        limit: int | None = None,
    ) -> list[Any]:
        """Every row (or the first ``limit``) of a list endpoint, page by page."""
        size = self.page_size if limit is None else max(1, min(limit, self.page_size))
        params = _list_params(size, fields, order_by, conditions)
        found: list[Any] = []
        next_url: str | None = None
        previous = b""
        for page in range(1, 1_000_000):
            response = await self._page(endpoint, params, page, next_url)
            batch = self.decode(response, f"GET {endpoint}")
            if not isinstance(batch, list):
                raise unexpected(f"GET {endpoint}", "expected a list")
            if batch and response.content == previous:
                # A proxy or cache that drops the query string would have us page forever.
                problem = f"page {page} repeats page {page - 1}; the server ignores paging"
                raise unexpected(f"GET {endpoint}", problem)
            previous = response.content
            found.extend(batch)
            if (limit is not None and len(found) >= limit) or len(batch) < size:
                break
            link = response.links.get("next", {}).get("url")
            if not link and "link" in response.headers:
                break  # a Link header without rel="next": the server says this was the last
            next_url = self._same_endpoint(response, link) if link else None
        return unique_rows(found)[:limit]

    async def _page(
        self, endpoint: str, params: dict[str, str], page: int, next_url: str | None
    ) -> httpx.Response:
        if next_url is not None:
            response = await self.http.request(
                "GET", next_url, headers=self._headers, target=endpoint
            )
        else:
            response = await self.send("GET", endpoint, params={**params, "page": str(page)})
        self.raise_for_status(response, "GET", endpoint)
        return response

    def _same_endpoint(self, response: httpx.Response, link: str) -> str | None:
        """``link`` when it stays on this API and endpoint, else ``None`` (use page numbers:
        credentials are never sent anywhere else)."""
        target, here = response.url.join(link), response.url
        same = (target.scheme, target.host, target.port, target.path) == (
            here.scheme,
            here.host,
            here.port,
            here.path,
        )
        return str(target) if same else None

    def batches(
        self, endpoint: str, values: Sequence[str], template: str, fields: str
    ) -> list[list[str]]:
        """Split ``values`` so each list URL, with ``template`` around the comma-joined values
        as ``conditions``, stays within :attr:`url_budget` (the page number may grow a bit).

        Lengths are counted with every reserved character percent-encoded (``%20`` for a
        space): no shorter than httpx sends, nor than a server's ``Link`` to the next page that
        re-encodes the query. So no request of a batch, however many pages it reads, comes near
        IIS's 2,048-byte query-string limit (a 404.15 page, not an answer)."""
        api_url = self.site.api_url(self.codebase or "v4_6_release/")
        params = _list_params(self.page_size, fields, "id asc", template.format(""))
        fixed = len(f"{api_url}/{endpoint}?{urlencode(params, quote_via=quote)}") + 4
        budget = max(1, self.url_budget - fixed)
        result: list[list[str]] = []
        current: list[str] = []
        used = 0
        for value in values:
            cost = len(quote(value + ", ", safe=""))
            if current and used + cost > budget:
                result.append(current)
                current, used = [], 0
            current.append(value)
            used += cost
        if current:
            result.append(current)
        return result


def _list_params(size: int, fields: str, order_by: str, conditions: str | None) -> dict[str, str]:
    params = {"pageSize": str(size), "page": "1", "fields": fields, "orderBy": order_by}
    if conditions:
        params["conditions"] = conditions
    return params


def unique_rows(rows: list[Any]) -> list[Any]:
    """Drop a row seen twice (a row can move between pages while they are read, or two
    queries can both find it)."""
    seen: set[int] = set()
    kept = []
    for row in rows:
        key = row.get("id") if isinstance(row, dict) else None
        if isinstance(key, int):
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
