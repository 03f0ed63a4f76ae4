"""The runner's monitoring pings: sent only when a ping URL is set, and even for a run whose
configuration does not load."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from psabill.config.ops_models import Monitoring
from psabill.config.salvage import salvage_monitoring

Pinger = Callable[[Monitoring, str], str | None]


def ping(monitoring: Monitoring, state: str) -> str | None:
    """:func:`psabill.ops.monitor.ping`, imported only when a ping URL is set."""
    if monitoring.ping_url is None:
        return None
    from psabill.ops.monitor import ping as send

    return send(monitoring, state)


def ping_unloadable(path: Path, env: Mapping[str, str], pinger: Pinger = ping) -> str | None:
    """A run whose config does not load has failed: send the ``/fail`` ping if the config
    still names a readable ping URL. Returns the ping's problem, if any."""
    monitoring = salvage_monitoring(path, env)
    return pinger(monitoring, "fail") if monitoring is not None else None
