"""What the tests that run psabill's ConnectWise client against the sandbox share."""

from __future__ import annotations

from typing import Any

from psabill.config.models import ConnectWisePsa
from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, SandboxCredentials


def sandbox_psa(
    sandbox: Sandbox, credentials: SandboxCredentials = DEMO_CREDENTIALS, **settings: Any
) -> ConnectWisePsa:
    """A ``[psa]`` section pointing at ``sandbox`` with ``credentials`` (the demo member's)."""
    return ConnectWisePsa(
        site=sandbox.site_url,
        company=credentials.company,
        public_key=credentials.public_key,
        private_key=credentials.private_key,
        client_id=credentials.client_id,
        **settings,
    )
