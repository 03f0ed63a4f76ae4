"""``psabill doctor`` for a Sophos source: credentials, partner id, usage published.

:func:`sophos_checks` asks Sophos Central what a run would ask, one page each, and turns each
step into an :class:`~psabill.psa.base.AccessCheck`; the first failing step leaves the later
ones unchecked (``ok=None``), since they cannot be judged without it.
"""

from __future__ import annotations

from psabill.config.vendor_models import SophosSource
from psabill.errors import SourceError
from psabill.psa.base import AccessCheck
from psabill.sources.vendors.period import RunMoment, UsageMonth, usage_month
from psabill.sources.vendors.session import DEFAULT_RUNTIME, Runtime, VendorSession, run_sync
from psabill.sources.vendors.sophos import label
from psabill.sources.vendors.sophos_api import SERVICE, SophosApi, unpublished


def sophos_checks(
    source: SophosSource, moment: RunMoment, runtime: Runtime = DEFAULT_RUNTIME
) -> list[AccessCheck]:
    """Three checks, named after the source: credentials, partner id, usage for the month."""
    month = usage_month(moment, source.usage_month)
    return run_sync(lambda: _checks(source, month, runtime))


async def _checks(source: SophosSource, month: UsageMonth, runtime: Runtime) -> list[AccessCheck]:
    name = label(source)
    names = (
        f"{name}: API credentials",
        f"{name}: partner id",
        f"{name}: usage for {month.label} published",
    )
    done: list[AccessCheck] = []
    session = VendorSession(name, SERVICE, runtime, source.timeout)
    try:
        await _steps(SophosApi(source, session), month, names, done)
    except SourceError as exc:
        detail = exc.message.removeprefix(f"{name}: ")
        done.append(AccessCheck(names[len(done)], False, detail, exc.hint))
        done.extend(
            AccessCheck(n, None, "not checked: an earlier check failed") for n in names[len(done) :]
        )
    finally:
        await session.aclose()
    return done


async def _steps(
    api: SophosApi, month: UsageMonth, names: tuple[str, ...], done: list[AccessCheck]
) -> None:
    """Each step appends its check; the first to fail raises SourceError."""
    source = api.source
    await api.bearer()
    done.append(AccessCheck(names[0], True, f"Sophos ID issued a token for {source.client_id}"))
    partner = await api.partner()
    params = {"page": "1", "pageSize": "1", "pageTotal": "true"}
    await api.call(f"{partner.api_host}/partner/v1/tenants", params, "tenants", partner)
    how = "configured" if source.partner_id else "from whoami"
    done.append(AccessCheck(names[1], True, f"{partner.id} ({how}) may list tenants"))
    path = f"/partner/v1/billing/usage/{month.year}/{month.month}"
    missing = unpublished(source, month)
    await api.call(partner.api_host + path, {"pageSize": "1"}, f"GET {path}", partner, missing)
    so_far = " (the month so far)" if month.partial else ""
    done.append(AccessCheck(names[2], True, f"Sophos Central has usage for {month.label}{so_far}"))
