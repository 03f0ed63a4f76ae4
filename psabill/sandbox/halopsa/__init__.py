"""A faithful fake of the HaloPSA API on the sandbox's server core (issue 16).

Typical use::

    from psabill.sandbox.halopsa import HaloSandbox, psa_section

    with HaloSandbox() as sandbox:          # the demo MSP, translated from ConnectWise's seed
        section = psa_section(sandbox)     # the [psa] table reaching it
"""

from psabill.sandbox.halopsa.api import OVERLAP_MESSAGE, HaloApi
from psabill.sandbox.halopsa.data import DEMO_CREDENTIALS, HaloCredentials, HaloWorld
from psabill.sandbox.halopsa.server import (
    HALO_RATE_LIMIT,
    RATE_LIMIT_TEXT,
    HaloFlavor,
    HaloSandbox,
    psa_section,
)
from psabill.sandbox.halopsa.translate import Identifiers, translate

__all__ = [
    "DEMO_CREDENTIALS",
    "HALO_RATE_LIMIT",
    "OVERLAP_MESSAGE",
    "RATE_LIMIT_TEXT",
    "HaloApi",
    "HaloCredentials",
    "HaloFlavor",
    "HaloSandbox",
    "HaloWorld",
    "Identifiers",
    "psa_section",
    "translate",
]
