"""A faithful fake of the Autotask PSA REST API on the sandbox's server core (issue 16)."""

from psabill.sandbox.autotask.api import THREAD_LIMIT_KIND, AutotaskApi
from psabill.sandbox.autotask.data import (
    DEMO_CREDENTIALS,
    AutotaskCredentials,
    AutotaskWorld,
    seed_autotask_demo,
)
from psabill.sandbox.autotask.server import AutotaskSandbox
from psabill.sandbox.autotask.threads import THREAD_LIMIT, THREAD_LIMIT_MESSAGE

__all__ = [
    "DEMO_CREDENTIALS",
    "THREAD_LIMIT",
    "THREAD_LIMIT_KIND",
    "THREAD_LIMIT_MESSAGE",
    "AutotaskApi",
    "AutotaskCredentials",
    "AutotaskSandbox",
    "AutotaskWorld",
    "seed_autotask_demo",
]
