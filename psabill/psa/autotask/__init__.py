"""The Autotask PSA adapter (issue 16): :class:`~psabill.psa.autotask.client.AutotaskClient`."""

from psabill.psa.autotask.session import AutotaskLogin, AutotaskSession, discover_zone

__all__ = ["AutotaskLogin", "AutotaskSession", "discover_zone"]
