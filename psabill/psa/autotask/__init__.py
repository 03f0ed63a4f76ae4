"""The Autotask PSA adapter: groundwork for issue 16, not yet a
:class:`~psabill.psa.base.PsaClient`."""

from psabill.psa.autotask.seats import AutotaskSeats, PostedAdjustment, UnitsRead
from psabill.psa.autotask.session import AutotaskLogin, AutotaskSession, discover_zone

__all__ = [
    "AutotaskLogin",
    "AutotaskSeats",
    "AutotaskSession",
    "PostedAdjustment",
    "UnitsRead",
    "discover_zone",
]
