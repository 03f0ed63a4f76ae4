"""``psabill doctor`` for ConnectWise: what works, what is missing, and never a billing change.

The checks, in order (a failed connection or credential check skips the rest, whose failures
would only repeat it):

1. **connect** — ``companyinfo`` answers and names a codebase (or ``psa.codebase`` is set).
2. **credentials** — ``GET system/info``: 401 means the keys or company are wrong; any other
   answer means they were accepted.
3. **api version** — the same answer: ConnectWise's 400 "does not support the API version" means
   the server does not serve the models psabill pins (:data:`~.session.API_VERSION`).
4. **reads** — ``GET …/count`` on companies, agreements, the catalog and invoices: 200 or 403.
5. **additions** — on the first agreement found (not checked when agreements cannot be read):

   * *read*: ``GET finance/agreements/{id}/additions/count``;
   * *add*: ``POST finance/agreements/{id}/additions`` with an **empty object**. The server
     checks the security role before it validates, so 403 means "may not add" and 400
     (``product``/``billCustomer`` missing) means "may add". An empty object can never be
     saved, so nothing is created;
   * *edit*: ``PATCH finance/agreements/{id}/additions/0`` (an id ConnectWise never hands out).
     403 means "may not edit"; 404 means the role check passed and the record is missing.
     Nothing exists to change.
6. **catalog add** (only needed with ``on_psa_product_missing = "create_default"``):
   ``POST procurement/catalog`` with an empty object, read like the addition POST.

A 403 body (``{"code": "Security", "message": "You do not have security permission to perform
this action."}``) never says which right is missing, so each probe knows the one security role
setting its request needs and a refusal names it, e.g. "Finance > Agreements: Edit Level All".

That the role check comes before validation and lookup is how the API behaves in practice
but ConnectWise does not document the order; a 400/404 where a 403 was due would show
"allowed" here and fail loudly later, at the write.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from psabill.errors import PsaError
from psabill.psa.base import AccessCheck, AccessReport
from psabill.psa.connectwise.answers import CREDENTIALS_HINT, server_message, status_error
from psabill.psa.connectwise.roles import AGREEMENTS, CATALOG, COMPANIES, INVOICING, fix, level
from psabill.psa.connectwise.session import API_VERSION, CwSession


@dataclass(frozen=True)
class _Probe:
    name: str
    method: str
    endpoint: str
    body: object
    allowed: int
    """The status that proves permission."""
    setting: str
    """The security role setting the request needs, e.g. "Finance > Agreements: Edit Level"."""
    required: bool = True

    @property
    def role(self) -> str:
        return f"{self.setting} All"


async def check_access(session: CwSession) -> AccessReport:
    checks: list[AccessCheck] = []
    api_url: str | None = None
    try:
        api_url = await session.api_url()
        checks.append(AccessCheck("connect", True, f"codebase {session.codebase}"))
        checks += await _credentials(session)
    except PsaError as error:
        checks.append(AccessCheck("connect", False, error.message, error.hint))
    if all(check.ok for check in checks if check.required):
        reads = [await _run(session, probe) for probe in _READS]
        checks += reads
        checks += await _addition_checks(session, reads[1])
        checks.append(await _run(session, _CATALOG_ADD))
    return AccessReport(
        site=session.site.url, api_url=api_url, codebase=session.codebase, checks=tuple(checks)
    )


_READS = (
    _Probe(
        "read companies", "GET", "company/companies/count", None, 200, level(COMPANIES, "Inquire")
    ),
    _Probe(
        "read agreements",
        "GET",
        "finance/agreements/count",
        None,
        200,
        level(AGREEMENTS, "Inquire"),
    ),
    _Probe(
        "read the product catalog",
        "GET",
        "procurement/catalog/count",
        None,
        200,
        level(CATALOG, "Inquire"),
    ),
    _Probe(
        "read invoices",
        "GET",
        "finance/invoices/count",
        None,
        200,
        level(INVOICING, "Inquire"),
        required=False,
    ),
)
_CATALOG_ADD = _Probe(
    "add catalog items (for create_default)",
    "POST",
    "procurement/catalog",
    {},
    400,
    level(CATALOG, "Add"),
    required=False,
)


async def _credentials(session: CwSession) -> list[AccessCheck]:
    """The credentials check, then (when the server answered) the API version check."""
    response = await session.send("GET", "system/info")
    status = response.status_code
    refused_version = _refused_version(response)
    if status not in (401, 404) and status < 500 and not refused_version:
        accepted = AccessCheck("credentials", True, f"accepted for company {session.company!r}")
        return [accepted, _served_version(response)]
    error = status_error(response, "GET", "system/info", cloud=session.cloud, redact=session.redact)
    if refused_version:
        unknown = AccessCheck("credentials", None, "not judged: the API version was refused")
        message = f"ConnectWise does not serve API version {API_VERSION}: {error.message}"
        hint = (
            f"psabill is built for ConnectWise API {API_VERSION}: upgrade the server, "
            "or use a psabill release built for its version"
        )
        return [unknown, AccessCheck("api version", False, message, hint)]
    if status >= 500:  # the server failed before it judged the keys
        return [AccessCheck("credentials", None, error.message, error.hint)]
    fix = (error.hint or CREDENTIALS_HINT) if status == 401 else error.hint
    return [AccessCheck("credentials", False, error.message, fix)]


def _refused_version(response: httpx.Response) -> bool:
    """ConnectWise's 400 for an ``Accept`` version it does not serve."""
    message = server_message(response) if response.status_code == 400 else ""
    return "does not support the API version" in message


def _served_version(response: httpx.Response) -> AccessCheck:
    """What the answer's ``Content-Type`` says was served, against what psabill pins."""
    _, *parameters = response.headers.get("Content-Type", "").split(";")
    pairs = (parameter.partition("=") for parameter in parameters)
    served = next((v.strip().strip('"') for k, _, v in pairs if k.strip() == "version"), None)
    if served is None:
        return AccessCheck("api version", True, f"{API_VERSION} asked; the answer names none")
    if served != API_VERSION:
        return AccessCheck(
            "api version",
            None,
            f"{API_VERSION} asked, but ConnectWise answered with version {served}",
            "a proxy may rewrite the Accept header; psabill may misread what it reads",
            required=False,
        )
    return AccessCheck("api version", True, f"{API_VERSION} served")


async def _addition_checks(session: CwSession, agreements: AccessCheck) -> list[AccessCheck]:
    if agreements.ok is not True:
        needs = level(AGREEMENTS, "Inquire") + " All"
        return [AccessCheck("additions", None, f"not checked: agreements cannot be read ({needs})")]
    try:
        agreement = await _first_agreement(session)
    except PsaError as error:
        return [AccessCheck("additions", None, f"no agreement to test on: {error.message}")]
    if agreement is None:
        return [AccessCheck("additions", None, "no agreement exists to test additions on")]
    base = f"finance/agreements/{agreement}/additions"
    probes = (
        _Probe("read additions", "GET", f"{base}/count", None, 200, level(AGREEMENTS, "Inquire")),
        _Probe("add additions", "POST", base, {}, 400, level(AGREEMENTS, "Add")),
        _Probe(
            "edit additions",
            "PATCH",
            f"{base}/0",
            [{"op": "replace", "path": "quantity", "value": 0}],
            404,
            level(AGREEMENTS, "Edit"),
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
        return AccessCheck(
            probe.name,
            False,
            f"{where} was refused (403): the API member's security role lacks {probe.role}",
            fix(probe.setting),
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
