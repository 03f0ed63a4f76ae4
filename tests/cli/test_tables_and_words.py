"""What people read: tables name customers, unchanged lines fold, plurals and money are right,
a global option after the command is explained, the demo says what to do next."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from psabill.cli import main, tables
from psabill.cli.words import money, plural
from psabill.core.plan import Plan, PlanLine
from tests.e2e.conftest import World

NOV = "2026-11-15T12:00:00+00:00"


def _line(n: int, action: str = "unchanged", label: str = "") -> PlanLine:
    return PlanLine(
        customer=f"sophos:vendor-{n}",
        customer_label=label or f"vendor-{n}",
        sku="CIXA",
        action=action,  # type: ignore[arg-type]
        why="quantity already matches",
        company=f"Company{n}",
        current=Decimal(5),
        desired=Decimal(5 if action == "unchanged" else 6),
    )


def test_unchanged_lines_above_the_threshold_fold_into_a_count() -> None:
    from datetime import date

    lines = [_line(n) for n in range(tables.UNCHANGED_SHOWN + 1)] + [_line(99, "update")]
    plan = Plan(date(2026, 11, 1), tuple(lines))

    folded = tables.plan_rows(plan)
    every = tables.plan_rows(plan, show_all=True)

    assert folded.folded == tables.UNCHANGED_SHOWN + 1
    assert [row[0] for row in folded.rows] == ["Company99"]  # only the change is listed
    assert every.folded == 0
    assert len(every.rows) == len(lines)


def test_up_to_the_threshold_nothing_folds() -> None:
    from datetime import date

    plan = Plan(date(2026, 11, 1), tuple(_line(n) for n in range(tables.UNCHANGED_SHOWN)))
    assert tables.plan_rows(plan).folded == 0


def test_a_customer_is_named_not_numbered() -> None:
    assert tables.customer_name(_line(1)) == "Company1"  # no name known: the PSA identifier
    assert tables.customer_name(_line(1, label="Acme Dental")) == "Acme Dental"
    named = replace(_line(1, label="Acme Dental"), company_name="Acme Dental Group, Inc.")
    assert tables.customer_name(named) == "Acme Dental Group, Inc."


def test_the_plan_folds_unchanged_lines_and_all_lists_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.psabill("sync", "--now").exit_code == 0
    monkeypatch.setattr(tables, "UNCHANGED_SHOWN", 3)

    folded = world.psabill("plan")
    every = world.psabill("plan", "--all")
    verbose = world.psabill("-v", "plan")
    as_json = world.psabill("plan", "--json")

    assert folded.exit_code == 0, folded.output
    assert "Customer" not in folded.output  # every line is unchanged: no table at all
    assert "... and 8 unchanged lines (`psabill plan --all` or `psabill -v plan` lists them)" in (
        folded.output
    )
    assert every.output.count("quantity already matches") == 8
    assert "unchanged lines" not in every.output
    assert verbose.output.count("quantity already matches") == 8
    assert "Vendor ID" in verbose.output
    assert len(json.loads(as_json.stdout)["plan"]["lines"]) == 8


def test_plan_table_cost_does_not_depend_on_rich_off_a_terminal(world: World) -> None:
    result = world.psabill("plan")
    header = result.output.splitlines()[0]
    assert header.split() == [
        "Customer",
        "Agreement",
        "Product",
        "Current",
        "->",
        "New",
        "Action",
        "Why",
    ]
    assert not header.endswith(" ")


def test_history_shows_the_period_of_a_manual_run(world: World) -> None:
    assert world.psabill("sync", "--now", now=NOV).exit_code == 0

    history = world.psabill("history")
    data = json.loads(world.psabill("history", "--json").stdout)

    row = history.output.splitlines()[1].split()
    assert row[3:5] == ["manual", "2026-11"], history.output
    assert data["runs"][0]["period"] is None  # what the ledger holds: no slot
    assert data["runs"][0]["billing_period"] == "2026-11"
    report = world.psabill("report", str(data["runs"][0]["id"]))
    assert "Run 1: manual, period 2026-11," in report.output


def test_history_without_a_config_still_lists_runs(world: World, tmp_path: Path) -> None:
    assert world.psabill("sync", "--now", now=NOV).exit_code == 0
    argv = ["--config", str(tmp_path / "missing.toml"), "--state-dir", str(world.setup.state_dir)]
    result = CliRunner().invoke(main, [*argv, "history"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[3:5] == ["manual", "-"]


@pytest.mark.parametrize(
    ("argv", "option", "example"),
    [
        (["plan", "--config", "x.toml"], "--config", "psabill --config CONFIG plan ..."),
        (["history", "-v"], "-v", "psabill -v history ..."),
        (["products", "list", "--state-dir=x"], "--state-dir", "psabill --state-dir STATE_DIR"),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(
    argv: list[str], option: str, example: str
) -> None:
    result = CliRunner().invoke(main, argv, prog_name="psabill")

    assert result.exit_code == 2
    assert f"{option} is a global option, and global options go before the command" in (
        result.output
    )
    assert example in result.output


def test_an_unknown_option_keeps_click_s_message() -> None:
    result = CliRunner().invoke(main, ["plan", "--bogus"])
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert "global option" not in result.output


def test_words() -> None:
    assert [plural(n, "line") for n in (0, 1, 2, 1500)] == [
        "0 lines",
        "1 line",
        "2 lines",
        "1,500 lines",
    ]
    assert plural(1, "address", "addresses") == "1 address"
    assert [money(Decimal(v)) for v in ("455", "604.4", "0.005", "1234.5")] == [
        "455.00",
        "604.40",
        "0.01",
        "1,234.50",
    ]


def test_invoices_show_company_names_money_and_plurals(world: World) -> None:
    admin = "controller@northwind.example"
    one = world.psabill(
        "invoices", "list", "--period", "2024-11", "--customer", "51234", "--as", admin
    )
    both = world.psabill("invoices", "list", "--period", "2024-11", "--as", admin)

    assert one.exit_code == 0, one.output
    assert "Müller & Söhne GmbH" in one.output
    assert "MuellerSoehne" not in one.output  # the identifier only under -v
    assert one.output.rstrip().endswith("1 invoice in 2024-11, total 604.40")
    assert both.output.rstrip().endswith("2 invoices in 2024-11, total 1,059.40")
    assert "455.00" in both.output


def test_the_repair_says_the_exact_command(world: World) -> None:
    dry = world.psabill("plan")
    run = world.psabill("sync", "--now")

    command = "`psabill products map CIXA-XDR PSABILL-CIXA-XDR --source sophos`"
    assert command in dry.output
    assert command in run.output


def test_the_demo_ends_with_commands_one_to_a_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo")])

    assert result.exit_code == 0, result.output
    tail = result.output.rstrip().splitlines()[-5:]
    assert tail[0] == "look around (these read the ledger only):"
    assert tail[1].endswith(f"--state-dir {tmp_path / 'demo' / 'state'} history")
    assert tail[2].endswith(" report 1")
    assert "|" not in "".join(tail)
    assert "`psabill demo --keep-running` keeps it up" in tail[-1]


def test_plan_help_states_the_fold_threshold() -> None:
    text = " ".join(CliRunner().invoke(main, ["plan", "--help"]).output.split())
    assert f"more than {tables.UNCHANGED_SHOWN} unchanged lines fold into one count line" in text
