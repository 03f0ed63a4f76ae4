"""psabill: sync vendor seat counts into PSA agreements, exactly once per billing period."""

__version__ = "0.1.0.dev0"
"""The one place the version is written; pyproject.toml reads it from here."""
