"""psabill: sync vendor seat counts into PSA agreements, exactly once per billing period."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("psabill")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"
