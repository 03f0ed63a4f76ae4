"""PSA clients: the :class:`PsaClient` protocol and one adapter per PSA.

Typical use::

    async with open_client(config.psa) as psa:
        companies = await psa.companies(["AcmeDental"])
"""

from __future__ import annotations

from psabill.config.models import Psa
from psabill.errors import ConfigError, UnknownOutcome
from psabill.psa.base import AccessCheck, AccessReport, PsaClient
from psabill.psa.pacing import RetryPolicy

__all__ = [
    "AccessCheck",
    "AccessReport",
    "PsaClient",
    "RetryPolicy",
    "UnknownOutcome",
    "open_client",
]


def open_client(psa: Psa, *, policy: RetryPolicy | None = None) -> PsaClient:
    """A client for the PSA ``psa`` configures. No I/O happens until the first call.

    ``policy`` defaults to ``RetryPolicy(max_retries=psa.retries)``.

    Raises :class:`~psabill.errors.ConfigError` for a setting the client cannot use (a plain
    http site that is not loopback, an unreadable CA bundle, an unsupported PSA kind).
    """
    if psa.kind == "connectwise":
        from psabill.psa.connectwise.client import ConnectWiseClient

        return ConnectWiseClient(psa, policy=policy)
    raise ConfigError(
        f"psa.kind {psa.kind!r} is not supported yet", hint='use kind = "connectwise"'
    )
