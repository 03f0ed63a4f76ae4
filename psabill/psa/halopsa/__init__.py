"""The HaloPSA adapter (issue 16): :class:`~psabill.psa.halopsa.client.HaloClient`."""
