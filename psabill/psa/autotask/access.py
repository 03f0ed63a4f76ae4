"""``psabill doctor`` for Autotask: what works, what is missing, never a billing change.

1. **zone** — ``zoneInformation?user=`` names the user's zone (a 500 there: unknown user).
2. **credentials and usage** — ``GET ThresholdInformation``: accepted credentials, and how much
   of the database's hourly allowance (every integration together) is used; above half,
   Autotask slows every call down.
3. **reads** — a one-record query on each entity psabill reads, and the contract categories.
4. **adjustments** — not probed: Autotask has no harmless way to test a create (an invalid
   adjustment is answered 500, like a valid one that failed), so this line only says which
   permission the API user needs.
"""

from __future__ import annotations

from typing import Any

from psabill.errors import PsaError
from psabill.psa.autotask.session import AutotaskSession
from psabill.psa.base import AccessCheck, AccessReport

READS = (
    ("read companies", "Companies", True),
    ("read contracts", "Contracts", True),
    ("read services", "Services", True),
    ("read contract services", "ContractServices", True),
    ("read contract service units", "ContractServiceUnits", True),
    ("read invoices", "Invoices", False),
)
PERMISSION_HINT = (
    "the API user's security level (Admin > Resources > Security Levels, a copy of "
    '"API User (API-only)") must allow {what}'
)
BUSY = 0.5


async def check_access(session: AutotaskSession) -> AccessReport:
    checks: list[AccessCheck] = []
    try:
        await session.root()
        checks.append(AccessCheck("zone", True, f"zone {session.base_url}"))
    except PsaError as error:
        checks.append(AccessCheck("zone", False, error.message, error.hint))
        return AccessReport(session.zone_lookup, None, None, tuple(checks))
    checks += await _usage(session)
    if all(check.ok for check in checks if check.required):
        for name, entity, required in READS:
            checks.append(await _read(session, name, entity, required))
        checks.append(await _categories(session))
        checks.append(
            AccessCheck(
                "post unit adjustments",
                None,
                "not probed: Autotask has no harmless test of a create",
                PERMISSION_HINT.format(what="adding Contract Service Adjustments (Contracts: Add)"),
                required=False,
            )
        )
    return AccessReport(session.zone_lookup, session.base_url, None, tuple(checks))


async def _usage(session: AutotaskSession) -> list[AccessCheck]:
    try:
        info = await session.get("ThresholdInformation", "ThresholdInformation")
    except PsaError as error:
        return [AccessCheck("credentials", False, error.message, error.hint)]
    accepted = AccessCheck("credentials", True, f"accepted for {session.login.username}")
    used, limit = _int(info, "currentTimeframeRequestCount"), _int(info, "externalRequestThreshold")
    minutes = _int(info, "requestThresholdTimeframe")
    if used is None or not limit:
        return [accepted, AccessCheck("api usage", None, "not reported", required=False)]
    detail = f"{used} of {limit} requests in the last {minutes or 60} minutes ({used / limit:.0%})"
    if used / limit >= BUSY:
        hint = (
            "Autotask slows every call down above half its allowance, for every integration; "
            "run psabill when the others are quiet"
        )
        return [accepted, AccessCheck("api usage", None, detail, hint, required=False)]
    return [accepted, AccessCheck("api usage", True, detail, required=False)]


async def _read(session: AutotaskSession, name: str, entity: str, required: bool) -> AccessCheck:
    try:
        await session.query(entity, [{"op": "gte", "field": "id", "value": 0}], limit=1)
    except PsaError as error:
        hint = error.hint or PERMISSION_HINT.format(what=f"reading {entity}")
        return AccessCheck(name, False, error.message, hint, required)
    return AccessCheck(name, True, f"{entity}: readable", required=required)


async def _categories(session: AutotaskSession) -> AccessCheck:
    from psabill.psa.autotask.mapping import labels, picklist

    try:
        fields = await session.get("Contracts/entityInformation/fields", "Contracts fields")
    except PsaError as error:
        return AccessCheck("contract categories", False, error.message, error.hint)
    found = sorted(labels(picklist(fields, "contractCategory"), active_only=True).values())
    if not found:
        return AccessCheck(
            "contract categories",
            None,
            "Autotask lists no active contract category",
            "agreement types are contract categories: add them in Autotask",
            required=False,
        )
    return AccessCheck("contract categories", True, ", ".join(found))


def _int(info: dict[str, Any], key: str) -> int | None:
    value = info.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
