"""PSA clients: the :class:`PsaClient` protocol and one adapter per PSA.

Typical use::

    async with open_client(config.psa) as psa:
        companies = await psa.companies(["AcmeDental"])
"""

from __future__ import annotations

from psabill.config.models import AutotaskPsa, ConnectWisePsa, HaloPsa, PsaSettings
from psabill.errors import UnknownOutcome
from psabill.psa.base import (
    AccessCheck,
    AccessReport,
    Delta,
    DeltaJournal,
    JournalEntry,
    NoJournal,
    PsaClient,
)
from psabill.psa.pacing import RetryPolicy

__all__ = [
    "AccessCheck",
    "AccessReport",
    "Delta",
    "DeltaJournal",
    "JournalEntry",
    "NoJournal",
    "PsaClient",
    "RetryPolicy",
    "UnknownOutcome",
    "open_client",
]


def open_client(
    psa: PsaSettings,
    *,
    policy: RetryPolicy | None = None,
    journal: DeltaJournal | None = None,
) -> PsaClient:
    """A client for the PSA ``psa`` configures. No I/O happens until the first call.

    ``policy`` defaults to ``RetryPolicy(max_retries=psa.retries)``. ``journal`` records the
    deltas of a PSA that changes quantities only by deltas (Autotask); without one such a
    client reads but refuses to change a quantity.

    Raises :class:`~psabill.errors.ConfigError` for a setting the client cannot use (a plain
    http site that is not loopback, an unreadable CA bundle).
    """
    if isinstance(psa, AutotaskPsa):
        from psabill.psa.autotask.client import AutotaskClient

        return AutotaskClient(psa, policy=policy, journal=journal or NoJournal())
    if isinstance(psa, HaloPsa):
        from psabill.psa.halopsa.client import HaloClient

        return HaloClient(psa, policy=policy)
    assert isinstance(psa, ConnectWisePsa)
    from psabill.psa.connectwise.client import ConnectWiseClient

    return ConnectWiseClient(psa, policy=policy)
