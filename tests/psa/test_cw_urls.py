"""Base URL rules: site forms, ``api-`` cloud hosts, codebases, companyinfo answers."""

from __future__ import annotations

from typing import Any

import pytest

from psabill.errors import ConfigError, PsaError
from psabill.psa.connectwise.urls import normalise_codebase, parse_company_info, parse_site


@pytest.mark.parametrize(
    ("site", "companyinfo", "api"),
    [
        (
            "na.myconnectwise.net",
            "https://na.myconnectwise.net/login/companyinfo/acme",
            "https://api-na.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "https://EU.myconnectwise.net/",
            "https://eu.myconnectwise.net/login/companyinfo/acme",
            "https://api-eu.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "au.myconnectwise.net",
            "https://au.myconnectwise.net/login/companyinfo/acme",
            "https://api-au.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "aus.myconnectwise.net",
            "https://aus.myconnectwise.net/login/companyinfo/acme",
            "https://api-aus.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "za.myconnectwise.net",
            "https://za.myconnectwise.net/login/companyinfo/acme",
            "https://api-za.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "staging.connectwisedev.com",
            "https://staging.connectwisedev.com/login/companyinfo/acme",
            "https://api-staging.connectwisedev.com/v2025_1/apis/3.0",
        ),
        (
            "api-na.myconnectwise.net",
            "https://api-na.myconnectwise.net/login/companyinfo/acme",
            "https://api-na.myconnectwise.net/v2025_1/apis/3.0",
        ),
        (
            "https://cw.example.com",
            "https://cw.example.com/login/companyinfo/acme",
            "https://cw.example.com/v2025_1/apis/3.0",
        ),
        (
            "cw.example.com:8443",
            "https://cw.example.com:8443/login/companyinfo/acme",
            "https://cw.example.com:8443/v2025_1/apis/3.0",
        ),
        (
            "http://127.0.0.1:8917",
            "http://127.0.0.1:8917/login/companyinfo/acme",
            "http://127.0.0.1:8917/v2025_1/apis/3.0",
        ),
        (
            "http://[::1]:8917",
            "http://[::1]:8917/login/companyinfo/acme",
            "http://[::1]:8917/v2025_1/apis/3.0",
        ),
        (
            "my.myconnectwise.net.evil.example",
            "https://my.myconnectwise.net.evil.example/login/companyinfo/acme",
            "https://my.myconnectwise.net.evil.example/v2025_1/apis/3.0",
        ),
    ],
)
def test_site_to_urls(site: str, companyinfo: str, api: str) -> None:
    parsed = parse_site(site)
    assert parsed.company_info_url("acme") == companyinfo
    assert parsed.api_url("v2025_1/") == api


def test_cloud_hosts_are_recognised_with_or_without_the_prefix() -> None:
    assert parse_site("na.myconnectwise.net").cloud
    assert parse_site("api-eu.myconnectwise.net").cloud
    assert not parse_site("cw.example.com").cloud


def test_the_company_id_is_escaped_in_the_companyinfo_path() -> None:
    assert parse_site("cw.example.com").company_info_url("a/b c").endswith("/a%2Fb%20c")


@pytest.mark.parametrize(
    "site", ["http://cw.example.com", "ftp://cw.example.com", "https://", "http://10.0.0.5"]
)
def test_clear_text_or_odd_sites_are_refused(site: str) -> None:
    with pytest.raises(ConfigError, match=r"psa\.site"):
        parse_site(site)


@pytest.mark.parametrize(
    ("given", "normal"),
    [("v2025_1/", "v2025_1/"), ("v2025_1", "v2025_1/"), ("/v4_6_release/", "v4_6_release/")],
)
def test_codebase_is_normalised(given: str, normal: str) -> None:
    assert normalise_codebase(given) == normal


@pytest.mark.parametrize("bad", ["", "/", "a/b/", "../x", "v1?x=1"])
def test_a_codebase_that_is_not_one_path_part_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="codebase"):
        normalise_codebase(bad)


@pytest.mark.parametrize(
    ("payload", "codebase", "cloud"),
    [
        ({"Codebase": "v2017_3/", "IsCloud": "True"}, "v2017_3/", True),
        ({"Codebase": "v4_6_release/", "IsCloud": False}, "v4_6_release/", False),
        ({"Codebase": "v2025_1/", "IsCloud": True, "CompanyName": "x"}, "v2025_1/", True),
        ({"Codebase": "v2025_1/"}, "v2025_1/", False),
    ],
)
def test_companyinfo_names_codebase_and_cloud(payload: Any, codebase: str, cloud: bool) -> None:
    info = parse_company_info(payload, "acme", "GET login/companyinfo/acme")
    assert (info.codebase, info.cloud) == (codebase, cloud)


def test_null_companyinfo_means_an_unknown_company() -> None:
    with pytest.raises(PsaError, match="does not know the company 'acme'") as caught:
        parse_company_info(None, "acme", "GET login/companyinfo/acme")
    assert "psa.company" in str(caught.value.hint)


@pytest.mark.parametrize(
    "payload", [[], "v2025_1/", {}, {"Codebase": 7}, {"Codebase": "../../etc/"}]
)
def test_companyinfo_without_a_usable_codebase_is_unexpected(payload: Any) -> None:
    with pytest.raises(PsaError, match="unexpected response from GET login/companyinfo"):
        parse_company_info(payload, "acme", "GET login/companyinfo/acme")
