"""`psabill doctor` against the sandbox: what works, and exactly what is missing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result

from psabill.sandbox import DEMO_CREDENTIALS, versions
from psabill.sandbox.faults import http_error
from psabill.sandbox.security import PARTIAL_ROLES, member_credentials
from tests.e2e.conftest import World


def test_doctor_passes_against_the_sandbox(world: World) -> None:
    result = world.psabill("doctor")
    assert result.exit_code == 0, result.output
    assert "ok   add additions" in result.output
    # the demo's CIXA-XDR mapping is broken on purpose; create_default bills it anyway
    assert "every check a run needs passed; 1 optional check did not" in result.output
    assert world.sandbox.store.dump()["additions"] == world.additions(live_only=False)


def test_doctor_names_the_missing_role(world: World) -> None:
    world.sandbox.faults.add(http_error(403, method="POST", path="/additions$"))
    result = world.psabill("doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["add additions"]["ok"] is False
    assert "Agreement" in (checks["add additions"]["hint"] or checks["add additions"]["detail"])
    assert checks["read companies"]["ok"] is True


def test_doctor_reports_bad_credentials_without_leaking_them(world: World) -> None:
    text = world.setup.config.read_text().replace("sandbox-private", "wrong-private-key")
    world.setup.config.write_text(text)
    result = world.psabill("doctor")
    assert result.exit_code == 1
    assert "FAIL credentials" in result.output
    assert "psa.private_key" in result.output
    assert "wrong-private-key" not in result.output


def test_doctor_does_not_call_keys_accepted_when_the_server_fails(world: World) -> None:
    world.sandbox.faults.add(http_error(500, method="GET", path="/system/info$"))
    result = world.psabill("doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["credentials"]["ok"] is None


# -- security roles: the sandbox's seeded API members, each missing one right --------------

MISSING = {
    # member: (check that fails, the role setting doctor must name, needed for a sync)
    "no-company-inquire": ("read companies", "Companies > Company Maintenance: Inquire", True),
    "no-agreement-inquire": ("read agreements", "Finance > Agreements: Inquire", True),
    "no-agreement-add": ("add additions", "Finance > Agreements: Add", True),
    "no-agreement-edit": ("edit additions", "Finance > Agreements: Edit", True),
    "no-catalog-inquire": (
        "read the product catalog",
        "Procurement > Product Catalog: Inquire",
        True,
    ),
    "no-catalog-add": (
        "add catalog items (for create_default)",
        "Procurement > Product Catalog: Add",
        False,
    ),
    "no-invoice-inquire": ("read invoices", "Finance > Invoicing: Inquire", False),
}


def _as_member(world: World, name: str) -> None:
    keys = member_credentials(name)
    text = world.setup.config.read_text()
    text = text.replace(f'"{DEMO_CREDENTIALS.public_key}"', f'"{keys.public_key}"')
    text = text.replace(f'"{DEMO_CREDENTIALS.private_key}"', f'"{keys.private_key}"')
    world.setup.config.write_text(text)


def _checks(result: Result, section: str = "psa") -> dict[str, dict[str, Any]]:
    checks = json.loads(result.stdout)["checks"]
    return {c["name"]: c for c in checks if c["section"] == section}


def test_the_seeded_roles_cover_every_permission_doctor_probes() -> None:
    assert set(MISSING) == set(PARTIAL_ROLES) - {"readonly"}


@pytest.mark.parametrize("member", sorted(MISSING))
def test_doctor_names_the_exact_setting_each_member_lacks(world: World, member: str) -> None:
    failing, setting, required = MISSING[member]
    _as_member(world, member)
    result = world.psabill("doctor", "--json")

    assert result.exit_code == (1 if required else 0), result.output
    checks = _checks(result)
    check = checks.pop(failing)
    assert check["ok"] is False
    assert f"lacks {setting} Level All" in check["detail"]
    assert check["hint"] == (
        "in ConnectWise, System > Security Roles > the API member's role: "
        f"set {setting} Level to All"
    )
    if member == "no-agreement-inquire":  # additions need agreements first
        additions = checks.pop("additions")
        assert additions["ok"] is None
        assert "Finance > Agreements: Inquire Level All" in additions["detail"]
    assert {name: c["ok"] for name, c in checks.items() if c["ok"] is not True} == {}


def test_doctor_for_a_read_only_member_names_every_missing_write(world: World) -> None:
    _as_member(world, "readonly")
    result = world.psabill("doctor")

    assert result.exit_code == 1
    assert "ok   read agreements" in result.output
    for failing, setting in (
        ("add additions", "Finance > Agreements: Add"),
        ("edit additions", "Finance > Agreements: Edit"),
        ("add catalog items (for create_default) (optional)", "Procurement > Product Catalog: Add"),
    ):
        assert f"FAIL {failing}: " in result.output
        assert f"set {setting} Level to All" in result.output
    assert "some checks failed" in result.output


def test_doctor_s_write_probes_leave_the_store_byte_identical(world: World) -> None:
    before = json.dumps(world.sandbox.store.dump(), sort_keys=True).encode()
    result = world.psabill("doctor")
    after = json.dumps(world.sandbox.store.dump(), sort_keys=True).encode()

    assert result.exit_code == 0, result.output
    assert after == before
    writes = [(r.method, r.path, r.status) for r in world.sandbox.requests() if r.method != "GET"]
    assert writes == [
        ("POST", "/v4_6_release/apis/3.0/finance/agreements/1500/additions", 400),
        ("PATCH", "/v4_6_release/apis/3.0/finance/agreements/1500/additions/0", 404),
        ("POST", "/v4_6_release/apis/3.0/procurement/catalog", 400),
    ]


def test_doctor_reports_the_served_api_version(world: World) -> None:
    result = world.psabill("doctor", "--json")
    assert _checks(result)["api version"] == {
        "section": "psa",
        "name": "api version",
        "ok": True,
        "detail": "2025.8 served",
        "hint": None,
        "required": True,
    }


def test_doctor_says_when_the_server_does_not_serve_psabill_s_version(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(versions, "KNOWN_VERSIONS", ("2026.1",))
    result = world.psabill("doctor", "--json")

    assert result.exit_code == 1
    checks = _checks(result)
    assert checks["credentials"]["ok"] is None
    assert checks["api version"]["ok"] is False
    assert "does not serve API version 2025.8" in checks["api version"]["detail"]
    assert "read companies" not in checks
