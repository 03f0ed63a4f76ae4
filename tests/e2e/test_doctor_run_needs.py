"""`psabill doctor` beyond the PSA: mail server, usage sources, state directory, mappings.

Real servers only: the sandbox PSA over loopback HTTP and aiosmtpd (plain, STARTTLS, implicit
TLS, with a test CA) from tests/notify. Every failure must name the setting to fix.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from tests.e2e.conftest import World
from tests.notify.conftest import ca, ca_file, server_tls, start_server  # noqa: F401 - fixtures
from tests.notify.support import PASSWORD, USER, MailServer, free_port

StartServer = Callable[..., MailServer]


def _doctor(world: World, *args: str, env: dict[str, str] | None = None) -> Result:
    argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]
    return CliRunner().invoke(main, [*argv, *args, "doctor", "--json"], env=env)


def _checks(result: Result, section: str) -> dict[str, dict[str, Any]]:
    data = json.loads(result.stdout)
    return {c["name"]: c for c in data["checks"] if c["section"] == section}


def _failing(result: Result) -> dict[str, dict[str, Any]]:
    """Every failed check a run needs, by section and name."""
    data = json.loads(result.stdout)
    return {
        f"{c['section']}/{c['name']}": c for c in data["checks"] if c["required"] and not c["ok"]
    }


def _use_smtp(world: World, server: MailServer, **extra: Any) -> None:
    """Point the demo config's [notify] at ``server`` instead of the .eml folder."""
    settings = server.settings(**extra)
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    text = world.setup.config.read_text().replace('transport = "folder"', 'transport = "smtp"')
    world.setup.config.write_text(text + "\n[smtp]\n" + "\n".join(lines) + "\n")


def _with_state_dir(world: World, state_dir: Path) -> Result:
    argv = ["--config", str(world.setup.config), "--state-dir", str(state_dir)]
    return CliRunner().invoke(main, [*argv, "doctor", "--json"])


# -- mail --------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_doctor_connects_and_logs_in_to_the_smtp_server_without_sending(
    world: World,
    start_server: StartServer,  # noqa: F811
    security: str,
) -> None:
    server = start_server(security, auth=True)
    _use_smtp(world, server, username=USER, password="${SMTP_PASSWORD}")
    result = _doctor(world, env={"SMTP_PASSWORD": PASSWORD})

    check = _checks(result, "mail")["mail server"]
    assert check["ok"] is True, check
    assert f"logged in as '{USER}'" in check["detail"]
    assert ("STARTTLS" in check["detail"]) is (security == "starttls")
    assert ("TLS with a verified certificate" in check["detail"]) is (security != "none")
    assert server.recorder.logins == [(USER, PASSWORD)]
    assert server.messages == []
    assert PASSWORD not in result.output
    assert result.exit_code == 0, _failing(result)


def test_doctor_names_the_password_setting_when_the_login_is_refused(
    world: World,
    start_server: StartServer,  # noqa: F811
) -> None:
    server = start_server("starttls", auth=True)
    _use_smtp(world, server, username=USER, password="wrong-password-for-doctor")
    result = _doctor(world)

    assert result.exit_code == 1
    check = _checks(result, "mail")["mail server"]
    assert check["ok"] is False
    assert "refused the login" in check["detail"]
    assert "[smtp] username and password" in check["hint"]
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN)
    assert server.recorder.logins
    assert set(server.recorder.logins) == {(USER, "wrong-password-for-doctor")}
    assert "wrong-password-for-doctor" not in result.output
    assert list(_failing(result)) == ["mail/mail server"]


def test_doctor_says_when_the_smtp_server_is_down(
    world: World,
    start_server: StartServer,  # noqa: F811
) -> None:
    server = start_server("starttls")
    server.stop()  # a port where nothing listens any more
    _use_smtp(world, server)
    result = _doctor(world)

    assert result.exit_code == 1
    check = _checks(result, "mail")["mail server"]
    assert "connection refused" in check["detail"]
    assert "[smtp] host, port and security" in check["hint"]


def test_doctor_says_when_the_server_offers_no_starttls(
    world: World,
    start_server: StartServer,  # noqa: F811
) -> None:
    server = start_server("none")
    _use_smtp(world, server, security="starttls")
    check = _checks(_doctor(world), "mail")["mail server"]

    assert check["ok"] is False
    assert "does not offer STARTTLS" in check["detail"]
    assert 'security = "ssl"' in check["hint"]


def test_doctor_checks_the_mail_folder_and_the_recipients(world: World) -> None:
    result = _doctor(world)
    checks = _checks(result, "mail")

    assert checks["folder"]["ok"] is True
    assert checks["recipients"] == {
        "section": "mail",
        "name": "recipients",
        "ok": True,
        "detail": "3 addresses",
        "hint": None,
        "required": True,
    }


# -- usage sources -----------------------------------------------------------------------


def test_doctor_reads_every_source_and_counts_its_records(world: World) -> None:
    checks = _checks(_doctor(world), "sources")

    assert checks["source sophos"]["ok"] is True
    assert checks["source sophos"]["detail"] == ("6 records for 4 customers from usage/sophos.csv")
    assert checks["source trendmicro"]["detail"].startswith("1 record for 1 customer from")


def test_doctor_names_the_source_that_fails_and_its_setting(world: World) -> None:
    world.usage("lastpass.json").unlink()
    with world.usage("sophos.csv").open("a") as csv:
        csv.write("7d1f3c2e-acme,Acme Dental Group,CIXA,Intercept X,many,2026-11-01\n")
    result = _doctor(world)

    assert result.exit_code == 1
    failing = _failing(result)
    assert set(failing) == {"sources/source lastpass", "sources/source sophos"}
    lastpass = failing["sources/source lastpass"]
    assert "no such file" in lastpass["detail"]
    assert '[[sources]] name = "lastpass": path' in lastpass["hint"]
    assert "sophos.csv" in failing["sources/source sophos"]["detail"]
    assert '[[sources]] name = "sophos"' in failing["sources/source sophos"]["hint"]
    assert _checks(result, "sources")["source goto"]["ok"] is True  # the others still read


# -- state directory ---------------------------------------------------------------------


def test_doctor_finds_a_state_directory_it_can_write_and_leaves_nothing(world: World) -> None:
    state = world.setup.state_dir
    state.mkdir(parents=True, exist_ok=True)
    before = sorted(os.listdir(state))
    checks = _checks(_with_state_dir(world, state), "state")

    assert checks["writable"]["ok"] is True
    assert sorted(os.listdir(state)) == before


def test_doctor_says_a_new_state_directory_will_be_created(world: World, tmp_path: Path) -> None:
    state = tmp_path / "new" / "state"
    checks = _checks(_with_state_dir(world, state), "state")

    assert checks["writable"]["ok"] is True
    assert "will be created" in checks["writable"]["detail"]
    assert not (tmp_path / "new").exists()


def test_doctor_refuses_a_state_directory_that_is_a_file(world: World, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    result = _with_state_dir(world, blocker / "state")

    assert result.exit_code == 1
    check = _checks(result, "state")["writable"]
    assert check["detail"] == f"{blocker} is not a directory"
    assert "--state-dir" in check["hint"]


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root writes into a read-only (0500) directory regardless of its mode bits; "
    "the not-a-directory test covers the failure path",
)
def test_doctor_refuses_a_read_only_state_directory(world: World, tmp_path: Path) -> None:
    state = tmp_path / "readonly"
    state.mkdir()
    state.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = _with_state_dir(world, state)
    finally:
        state.chmod(stat.S_IRWXU)

    assert result.exit_code == 1
    check = _checks(result, "state")["writable"]
    assert check["detail"].startswith(f"cannot write in {state}: ")
    assert "--state-dir" in check["hint"]


def test_doctor_reports_a_damaged_ledger(world: World) -> None:
    world.setup.state_dir.mkdir(parents=True, exist_ok=True)
    (world.setup.state_dir / "ledger.sqlite3").write_bytes(b"not a database at all" * 10)
    result = _doctor(world)

    assert result.exit_code == 1
    assert _checks(result, "state")["ledger"]["ok"] is False


# -- mappings ----------------------------------------------------------------------------


def test_doctor_checks_every_mapping_against_the_psa(world: World) -> None:
    checks = _checks(_doctor(world), "mappings")

    assert checks["customers"]["ok"] is True
    assert checks["customers"]["detail"].endswith("every PSA company and agreement found")
    xdr = checks["product CIXA-XDR"]  # the demo's deliberately broken mapping
    assert xdr["ok"] is False
    assert xdr["required"] is False
    assert "`psabill products map CIXA-XDR PSABILL-CIXA-XDR --source sophos`" in xdr["hint"]


def test_doctor_names_the_broken_customer_and_product_mappings(world: World) -> None:
    text = world.setup.config.read_text()
    assert text.count('psa_company = "Contoso"') == 1
    text = text.replace('psa_company = "Contoso"', 'psa_company = "ContosoTypo"')
    assert text.count('psa_product = "LASTPASS-BUS"') == 1
    text = text.replace('psa_product = "LASTPASS-BUS"', 'psa_product = "LASTPASS-GONE"')
    world.setup.config.write_text(text)
    result = _doctor(world)

    assert result.exit_code == 1
    failing = _failing(result)
    assert set(failing) == {"mappings/customer Contoso Pharmacy", "mappings/product LP-BUS"}
    customer = failing["mappings/customer Contoso Pharmacy"]
    assert "'ContosoTypo' was not found" in customer["detail"]
    assert "psabill customers map" in customer["hint"]
    product = failing["mappings/product LP-BUS"]
    assert "'LASTPASS-GONE' is not in the PSA catalog" in product["detail"]
    assert 'psa_product of [[products]] sku = "LP-BUS"' in product["hint"]


def test_doctor_skips_the_mappings_when_the_psa_cannot_be_reached(world: World) -> None:
    text = world.setup.config.read_text()
    down = f"http://127.0.0.1:{free_port()}"
    world.setup.config.write_text(text.replace(world.sandbox.site_url, down))
    result = _doctor(world)

    assert result.exit_code == 1
    assert _checks(result, "mappings")["mappings"]["ok"] is None
    assert _checks(result, "sources")["source sophos"]["ok"] is True  # still checked


def test_doctor_prints_every_section_for_people(world: World) -> None:
    argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]
    result = CliRunner().invoke(main, [*argv, "doctor"])

    assert result.exit_code == 0, result.output
    titles = ("PSA: connectwise at ", "mail: .eml files in ", "usage sources", "state directory")
    for title in (*titles, "mappings"):
        assert f"\n{title}" in f"\n{result.output}"
    assert "  FAIL product CIXA-XDR (optional): " in result.output
    assert "every check a run needs passed; 1 optional check did not" in result.output
