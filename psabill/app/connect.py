"""How a use case opens the PSA client, and how the run's delta journal reaches it.

A factory is a seam: the runner, doctor and the mapping commands take one, and tests pass
their own (a client over a fault-injecting transport). Tests written before the journal pass
one-argument factories; those keep working and simply get no journal.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Protocol, cast

from psabill.config.models import Psa
from psabill.psa import DeltaJournal, PsaClient, RetryPolicy, open_client


class JournaledPsaFactory(Protocol):
    """A PSA client factory that takes the run's delta journal (see :func:`connect_psa`)."""

    def __call__(self, psa: Psa, /, *, journal: DeltaJournal | None = None) -> PsaClient: ...


PsaFactory = Callable[[Psa], PsaClient] | JournaledPsaFactory
"""Opens the PSA client. A factory with a ``journal`` keyword is handed the run's
:class:`~psabill.app.journal.LedgerJournal` when the run may write; a one-argument factory
(a test's) gets none, which is enough for PSAs that write absolute quantities."""


def connect_psa(psa: Psa, *, journal: DeltaJournal | None = None) -> PsaClient:
    """The configured PSA's client, retrying as ``[psa] retries`` says; ``journal`` records
    the deltas of a PSA that posts deltas (without one, such a client only reads)."""
    return open_client(psa, policy=RetryPolicy(max_retries=psa.retries), journal=journal)


def takes_journal(factory: PsaFactory) -> bool:
    """Whether ``factory`` accepts the ``journal`` keyword."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a callable Python cannot introspect
        return False
    journal = parameters.get("journal")
    keyword = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return journal is not None and journal.kind in keyword


def open_with(factory: PsaFactory, psa: Psa, journal: DeltaJournal | None) -> PsaClient:
    """``factory``'s client for ``psa``, handed ``journal`` when there is one and the
    factory takes it."""
    if journal is not None and takes_journal(factory):
        return cast(JournaledPsaFactory, factory)(psa, journal=journal)
    return factory(psa)
