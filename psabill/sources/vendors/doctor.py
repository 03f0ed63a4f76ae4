"""``psabill doctor`` checks for every vendor API source of a config (credentials, partner,
usage published), as :class:`~psabill.psa.base.AccessCheck` values.

The doctor calls :func:`vendor_checks` once for the whole config; a vendor without checks of
its own is covered by the doctor's generic read of each source.
"""

from __future__ import annotations

from datetime import UTC, datetime

from psabill.config.models import Config
from psabill.config.vendor_models import SophosSource
from psabill.psa.base import AccessCheck
from psabill.sources.vendors.period import RunMoment
from psabill.sources.vendors.session import DEFAULT_RUNTIME, Runtime
from psabill.sources.vendors.sophos_doctor import sophos_checks


def vendor_checks(
    config: Config, now: datetime | None = None, runtime: Runtime = DEFAULT_RUNTIME
) -> tuple[AccessCheck, ...]:
    """The checks of each vendor source, in config order, for a run at ``now``."""
    moment = RunMoment(now or datetime.now(UTC), config.account.zone, config.schedule.mode)
    checks: list[AccessCheck] = []
    for source in config.sources:
        if isinstance(source, SophosSource):
            checks.extend(sophos_checks(source, moment, runtime))
    return tuple(checks)
