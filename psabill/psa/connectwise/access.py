"""``psabill doctor`` for ConnectWise: what works, what is missing, and never a billing change.

The checks, in order (a failed connection or credential check skips the rest, whose failures
would only repeat it):

1. **connect** — ``companyinfo`` answers and names a codebase (or ``psa.codebase`` is set).
2. **credentials** — ``GET system/info``: 401 means the keys or company are wrong; any other
   answer means they were accepted.
3. **reads** — ``GET …/count`` on companies, agreements, the catalog and invoices: 200 or 403.
4. **additions** — on the first agreement found:

   * *read*: ``GET finance/agreements/{id}/additions/count``;
   * *add*: ``POST finance/agreements/{id}/additions`` with an **empty object**. The server
     checks the security role before it validates, so 403 means "may not add" and 400
     (``product``/``billCustomer`` missing) means "may add". An empty object can never be
     saved, so nothing is created;
   * *edit*: ``PATCH finance/agreements/{id}/additions/0`` (an id ConnectWise never hands out).
     403 means "may not edit"; 404 means the role check passed and the record is missing.
     Nothing exists to change.
5. **catalog add** (only needed with ``on_psa_product_missing = "create_default"``):
   ``POST procurement/catalog`` with an empty object, read like the addition POST.

That the role check comes before validation and lookup is how the API behaves in practice
(the 403 body is ``{"code": "Security", ...}``) but ConnectWise does not document the order;
a 400/404 where a 403 was due would show "allowed" here and fail loudly later, at the write.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from psabill.errors import PsaError
from psabill.psa.base import AccessCheck, AccessReport
from psabill.psa.connectwise.answers import CREDENTIALS_HINT, security_role, status_error
from psabill.psa.connectwise.session import CwSession


@dataclass(frozen=True)
class _Probe:
    name: str
    method: str
    endpoint: str
    body: object
    allowed: int
    """The status that proves permission."""
    required: bool = True


async def check_access(session: CwSession) -> AccessReport:
    checks: list[AccessCheck] = []
    api_url: str | None = None
    try:
        api_url = await session.api_url()
        checks.append(AccessCheck("connect", True, f"codebase {session.codebase}"))
        checks.append(await _credentials(session))
    except PsaError as error:
        checks.append(AccessCheck("connect", False, error.message, error.hint))
    if all(check.ok for check in checks):
        checks += [await _run(session, probe) for probe in _READS]
        checks += await _addition_checks(session)
        checks.append(await _run(session, _CATALOG_ADD))
    return AccessReport(
        site=session.site.url, api_url=api_url, codebase=session.codebase, checks=tuple(checks)
    )


_READS = (
    _Probe("read companies", "GET", "company/companies/count", None, 200),
    _Probe("read agreements", "GET", "finance/agreements/count", None, 200),
    _Probe("read the product catalog", "GET", "procurement/catalog/count", None, 200),
    _Probe("read invoices", "GET", "finance/invoices/count", None, 200, required=False),
)
_CATALOG_ADD = _Probe(
    "add catalog items (for create_default)", "POST", "procurement/catalog", {}, 400, False
)


async def _credentials(session: CwSession) -> AccessCheck:
    response = await session.send("GET", "system/info")
    if response.status_code == 401:
        error = status_error(
            response, "GET", "system/info", cloud=session.cloud, redact=session.redact
        )
        return AccessCheck("credentials", False, error.message, error.hint or CREDENTIALS_HINT)
    if response.status_code == 404:
        error = status_error(
            response, "GET", "system/info", cloud=session.cloud, redact=session.redact
        )
        return AccessCheck("credentials", False, error.message, error.hint)
    if response.status_code >= 500:  # the server failed before it judged the keys
        error = status_error(
            response, "GET", "system/info", cloud=session.cloud, redact=session.redact
        )
        return AccessCheck("credentials", None, error.message, error.hint)
    return AccessCheck("credentials", True, f"accepted for company {session.company!r}")


async def _addition_checks(session: CwSession) -> list[AccessCheck]:
    try:
        agreement = await _first_agreement(session)
    except PsaError as error:
        return [AccessCheck("additions", None, f"no agreement to test on: {error.message}")]
    if agreement is None:
        return [AccessCheck("additions", None, "no agreement exists to test additions on")]
    base = f"finance/agreements/{agreement}/additions"
    probes = (
        _Probe("read additions", "GET", f"{base}/count", None, 200),
        _Probe("add additions", "POST", base, {}, 400),
        _Probe(
            "edit additions",
            "PATCH",
            f"{base}/0",
            [{"op": "replace", "path": "quantity", "value": 0}],
            404,
        ),
    )
    return [await _run(session, probe) for probe in probes]


async def _first_agreement(session: CwSession) -> int | None:
    rows = await session.rows("finance/agreements", fields="id", limit=1)
    ids = [row.get("id") for row in rows if isinstance(row, dict)]
    return next((i for i in ids if isinstance(i, int) and not isinstance(i, bool)), None)


async def _run(session: CwSession, probe: _Probe) -> AccessCheck:
    try:
        response = await session.send(
            probe.method, probe.endpoint, body=probe.body, rediscover=probe.allowed != 404
        )
    except PsaError as error:
        return AccessCheck(probe.name, None, error.message, error.hint, probe.required)
    return _judge(session, probe, response)


def _judge(session: CwSession, probe: _Probe, response: httpx.Response) -> AccessCheck:
    status = response.status_code
    where = f"{probe.method} {probe.endpoint}"
    if status == probe.allowed:
        return AccessCheck(probe.name, True, f"{where}: allowed", required=probe.required)
    if status == 403:
        role = security_role(probe.method, probe.endpoint) or "a security role setting"
        return AccessCheck(
            probe.name,
            False,
            f"{where} was refused (403): the API member lacks {role!r}",
            f"give the API member's security role {role!r} in ConnectWise",
            probe.required,
        )
    if 200 <= status < 300 and probe.method != "GET":
        return AccessCheck(
            probe.name,
            False,
            f"{where} unexpectedly succeeded (HTTP {status}): a test record may exist",
            "look for an empty record created by psabill doctor in ConnectWise and delete it",
            probe.required,
        )
    error = status_error(
        response, probe.method, probe.endpoint, cloud=session.cloud, redact=session.redact
    )
    return AccessCheck(probe.name, None, error.message, error.hint, probe.required)
