"""Where a ConnectWise API lives: site, ``api-`` cloud hosts, codebase (reference §1.1-1.2).

``https://{site}/login/companyinfo/{company}`` (no auth) names the codebase; the API is at
``{scheme}://{api host}/{codebase}apis/3.0``, where the API host of a ConnectWise cloud site
carries an ``api-`` prefix (``na.myconnectwise.net`` -> ``api-na.myconnectwise.net``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from psabill.config.fields import is_loopback
from psabill.errors import ConfigError, PsaError

CLOUD_HOSTS = frozenset(
    {
        "na.myconnectwise.net",
        "eu.myconnectwise.net",
        "au.myconnectwise.net",
        "aus.myconnectwise.net",
        "za.myconnectwise.net",
        "staging.connectwisedev.com",
    }
)
_CODEBASE = re.compile(r"[A-Za-z0-9_.\-]+/")


@dataclass(frozen=True)
class Site:
    """A ConnectWise site as configured (``psa.site``), normalised."""

    scheme: str
    host: str
    port: int | None

    @property
    def cloud(self) -> bool:
        bare = self.host.removeprefix("api-")
        return bare in CLOUD_HOSTS

    @property
    def url(self) -> str:
        """Where ``/login/companyinfo`` is asked: the site as configured."""
        return f"{self.scheme}://{_netloc(self.host, self.port)}"

    @property
    def api_origin(self) -> str:
        host = self.host
        if host in CLOUD_HOSTS:
            host = "api-" + host
        return f"{self.scheme}://{_netloc(host, self.port)}"

    def api_url(self, codebase: str) -> str:
        return f"{self.api_origin}/{normalise_codebase(codebase)}apis/3.0"

    def company_info_url(self, company: str) -> str:
        return f"{self.url}/login/companyinfo/{quote(company, safe='')}"


def parse_site(site: str) -> Site:
    """``na.myconnectwise.net`` or ``https://cw.example.com[:port]``; http only for loopback.

    The config schema already checks the scheme; this repeats it so no code path can send
    credentials in clear text to a remote host.
    """
    parts = urlsplit(site.strip() if "://" in site else f"https://{site.strip()}")
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"psa.site {site!r} is not a host name or an http(s) URL",
            hint='use a host like "na.myconnectwise.net" or a URL like "https://cw.example.com"',
        )
    if scheme == "http" and not is_loopback(host):
        raise ConfigError(
            "psa.site must use https:// (plain http is only allowed for loopback)",
            hint="API keys would cross the network in clear text; use https://",
        )
    return Site(scheme=scheme, host=host.lower(), port=port)


def normalise_codebase(codebase: str) -> str:
    """``v2025_1`` / ``/v2025_1/`` -> ``v2025_1/``; refuse anything that is not one path part."""
    text = codebase.strip().strip("/") + "/"
    if not _CODEBASE.fullmatch(text):
        raise ConfigError(
            f"psa.codebase {codebase!r} is not a codebase",
            hint='a codebase looks like "v2025_1/" or "v4_6_release/"; or leave it unset',
        )
    return text


@dataclass(frozen=True)
class CompanyInfo:
    codebase: str
    cloud: bool


def parse_company_info(payload: Any, company: str, endpoint: str) -> CompanyInfo:
    """Read a ``companyinfo`` answer; ``null`` means the login company is unknown."""
    if payload is None:
        raise PsaError(
            f"ConnectWise does not know the company {company!r}",
            hint="check psa.company: it is the company id you type when logging in",
        )
    codebase = payload.get("Codebase") if isinstance(payload, dict) else None
    if not isinstance(codebase, str) or not _CODEBASE.fullmatch(codebase.strip().strip("/") + "/"):
        raise PsaError(
            f"ConnectWise returned an unexpected response from {endpoint}: no usable Codebase",
            hint='check psa.site, or set psa.codebase (e.g. "v4_6_release/")',
        )
    cloud = payload.get("IsCloud")
    return CompanyInfo(
        codebase=normalise_codebase(codebase),
        cloud=cloud is True or (isinstance(cloud, str) and cloud.lower() == "true"),
    )


def _netloc(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"
