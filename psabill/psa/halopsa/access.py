"""``psabill doctor`` for HaloPSA: the token, then each list psabill reads; never a change.

Halo offers no way to ask "may this application edit recurring invoices" without editing one,
so the write permission is reported as not checked: the first sync that writes shows a 403
with the agent permission to grant. Each read is one request of one record
(``page_size=1``), so the doctor costs six requests of the tenant's 300 per 5 minutes.
"""

from __future__ import annotations

from psabill.errors import PsaError
from psabill.psa.base import AccessCheck, AccessReport
from psabill.psa.halopsa.session import CREDENTIALS_HINT, HaloSession

READS = (
    ("read clients", "Client", "clients"),
    ("read contracts", "ClientContract", "contracts"),
    ("read recurring invoices", "RecurringInvoice", "invoices"),
    ("read items", "Item", "items"),
    ("read invoices", "Invoice", "invoices"),
)


async def check_access(session: HaloSession) -> AccessReport:
    checks: list[AccessCheck] = []
    try:
        await session.token()
    except PsaError as error:
        checks.append(AccessCheck("credentials", False, str(error), error.hint or CREDENTIALS_HINT))
        return _report(session, checks)
    checks.append(AccessCheck("credentials", True, "a token was issued for the application"))
    for name, resource, key in READS:
        checks.append(await _read(session, name, resource, key))
    checks.append(
        AccessCheck(
            "edit recurring invoices",
            None,
            "not checked: Halo cannot be asked without changing an invoice",
            hint="the application's agent needs permission to edit recurring invoices",
        )
    )
    return _report(session, checks)


async def _read(session: HaloSession, name: str, resource: str, key: str) -> AccessCheck:
    params = {"pageinate": "true", "page_size": "1", "page_no": "1"}
    try:
        payload = await session.call("GET", resource, params=params)
    except PsaError as error:
        return AccessCheck(name, False, str(error), error.hint)
    total = payload.get("record_count") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
        return AccessCheck(name, False, f"GET {resource} answered without its {key!r} list")
    return AccessCheck(name, True, f"{total} records" if isinstance(total, int) else "readable")


def _report(session: HaloSession, checks: list[AccessCheck]) -> AccessReport:
    # "edit recurring invoices" is unknowable here and must not fail the whole report.
    kept = tuple(
        AccessCheck(c.name, c.ok, c.detail, c.hint, required=c.ok is not None) for c in checks
    )
    return AccessReport(site=session.site, api_url=session.api, codebase=None, checks=kept)
