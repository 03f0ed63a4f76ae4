"""A faithful fake of the Autotask PSA REST API on the sandbox's server core (issue 16)."""

from psabill.sandbox.autotask.api import THREAD_LIMIT_KIND, AutotaskApi
from psabill.sandbox.autotask.data import (
    DEMO_CREDENTIALS,
    Adjustment,
    AutotaskCredentials,
    AutotaskWorld,
    seed_autotask_demo,
)
from psabill.sandbox.autotask.flavor import AutotaskFlavor
from psabill.sandbox.autotask.server import AutotaskSandbox, psa_section
from psabill.sandbox.autotask.threads import THREAD_LIMIT, THREAD_LIMIT_MESSAGE
from psabill.sandbox.autotask.translate import Identifiers, world_from_store

__all__ = [
    "DEMO_CREDENTIALS",
    "THREAD_LIMIT",
    "THREAD_LIMIT_KIND",
    "THREAD_LIMIT_MESSAGE",
    "Adjustment",
    "AutotaskApi",
    "AutotaskCredentials",
    "AutotaskFlavor",
    "AutotaskSandbox",
    "AutotaskWorld",
    "Identifiers",
    "psa_section",
    "seed_autotask_demo",
    "world_from_store",
]
