"""Loading and validating psabill.toml: every problem is FILE:LINE: key: message."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from psabill.config.loader import find_config, load_config
from psabill.config.models import Config
from psabill.errors import ConfigError, ExitCode
from tests.conftest import ENV, MINIMAL


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV if env is None else env)
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value.problems


def test_minimal_config_loads_with_defaults(write_config) -> None:
    loaded = load_config(write_config(MINIMAL), ENV)
    cfg = loaded.config
    assert cfg.account.timezone == "America/New_York"
    assert cfg.schedule.mode == "monthly"
    assert cfg.psa.private_key.get_secret_value() == "sandbox-private"
    assert loaded.warnings == ()


# (extra TOML appended to MINIMAL, expected line, expected key, fragment of the message)
BAD = [
    ('[schedule]\nmode = "monthly"\nday = 0\n', 14, "schedule.day", "greater than or equal to 1"),
    ('[schedule]\nmode = "monthly"\nday = 32\n', 14, "schedule.day", "less than or equal to 31"),
    ("[schedule]\nday = 1\nhour = 24\n", 14, "schedule.hour", "from 0 to 23"),
    ('[schedule]\nday = 1\nhour = "06:30"\n', 14, "schedule.hour", "whole hour"),
    ('[schedule]\nmode = "weekly"\nweekday = "funday"\n', 14, "schedule.weekday", "day name"),
    ('[schedule]\nmode = "monthly"\n', 12, "schedule", "needs `day`"),
    ('[schedule]\nmode = "daily"\nday = 3\n', 12, "schedule", "`day` does not apply"),
    ('[schedule]\nmode = "cron"\ncron = "0 6 * *"\n', 12, "schedule", "cron"),
    ('[schedule]\nmode = "cron"\ncron = "0 9 30 2 *"\n', 12, "schedule", "never"),
    ('[schedule]\nday = 1\ncatch_up = "soon"\n', 14, "schedule.catch_up", "72h"),
    ('[schedule]\nday = 1\ntimezone = "UTC"\n', 14, "schedule.timezone", "unknown key"),
    ('[notify]\nemails = "a@example.com, not-an-email"\n', 13, "notify.emails", "not a valid"),
    ('[notify]\non = ["sucess"]\n', 13, "notify.on[0]", "success"),
    ('[smtp]\nsecurity = "tls"\n', 13, "smtp.security", "starttls"),
    (
        '[[billing_admins]]\nemail = "a@example.com"\nview_invoices = false\npay_invoices = true\n',
        12,
        "billing_admins[0]",
        "pay_invoices requires view_invoices",
    ),
    ('[[sources]]\nname = "s"\nkind = "xml"\n', 14, "sources[0].kind", "csv, json"),
    ('[[sources]]\nname = "s"\nkind = "csv"\n', 12, "sources[0].path", "required key is missing"),
    (
        '[[sources]]\nname = "s"\nkind = "csv"\npath = "a.csv"\nargv = ["x"]\n',
        16,
        "sources[0].argv",
        "unknown key",
    ),
    ('[[products]]\nsku = "A"\nsource = "nope"\n', 14, "products[0].source", "no [[sources]]"),
    ('[[products]]\nsku = "A"\n[[products]]\nsku = "A"\n', 15, "products[1].sku", "twice"),
    ('[[products]]\nsku = "A"\nunit_price = -1\n', 14, "products[0].unit_price", "greater"),
    (
        '[[customers]]\nid = "c1"\npsa_company = "C"\nemails = "x@example.com"\n',
        12,
        "customers[0]",
        'settings = "custom"',
    ),
    (
        '[[customers]]\nid = "c1"\npsa_company = "C"\nsettings = "custom"\n'
        '[[customers.contracts]]\nproduct = "ZZ"\nagreement_type = "T"\n',
        17,
        "customers[0].contracts[0].product",
        "no [[products]]",
    ),
    (
        '[[customers]]\nid = "c1"\npsa_company = "C"\nsettings = "custom"\n'
        'schedule = { mode = "weekly", weekday = "mon", hour = 25 }\n',
        16,
        "customers[0].schedule.hour",
        "from 0 to 23",
    ),
    ('[sync]\nmax_drop = "150%"\n', 13, "sync.max_drop", "between 0 and 1"),
]


@pytest.mark.parametrize(("extra", "line", "key", "fragment"), BAD)
def test_each_problem_names_file_line_key(write_config, extra, line, key, fragment) -> None:
    path = write_config(MINIMAL + "\n" + extra)
    problems = problems_of(path)
    expected_prefix = f"{path}:{line}: {key}: "
    assert any(p.startswith(expected_prefix) and fragment in p for p in problems), problems


def test_every_problem_is_reported_at_once(write_config) -> None:
    extra = '[schedule]\nday = 40\nhour = 30\n[notify]\nemails = "bad"\n'
    problems = problems_of(write_config(MINIMAL + "\n" + extra))
    assert len(problems) == 3
    assert [p.split(": ")[1] for p in problems] == [
        "schedule.day",
        "schedule.hour",
        "notify.emails",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[account]\nname = "x"\ntimezone = \n', 3),
        ('[account]\nname = "x"\n[account]\n', 3),
        ('[account\nname = "x"\n', 1),
    ],
)
def test_toml_syntax_errors_carry_the_line(write_config, text: str, line: int) -> None:
    path = write_config(text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:{line}: TOML syntax: ")


def test_bad_timezone_and_unknown_kind(write_config) -> None:
    text = MINIMAL.replace("America/New_York", "Mars/Olympus") + "\n"
    text = text.replace("[psa]\n", '[psa]\nkind = "odoo"\n')
    problems = problems_of(write_config(text))
    assert any(":3: account.timezone: unknown time zone 'Mars/Olympus'" in p for p in problems)
    assert any(
        p.endswith(":6: psa.kind: kind must be one of connectwise, autotask, halopsa")
        for p in problems
    )
    assert len(problems) == 2  # an unknown kind is one problem, not one per key


def test_plain_http_refused_for_remote_sites(write_config) -> None:
    text = MINIMAL.replace("http://127.0.0.1:8917", "http://cw.example.com")
    (problem,) = problems_of(write_config(text))
    assert ":6: psa.site: " in problem
    assert "https" in problem


def test_unknown_key_suggests_the_close_one(write_config) -> None:
    text = MINIMAL.replace('timezone = "America/New_York"', 'time_zone = "America/New_York"')
    (problem,) = problems_of(write_config(text))
    assert ":3: account.time_zone: unknown key" in problem
    assert "did you mean `timezone`?" in problem


def test_missing_environment_variable_is_named(write_config) -> None:
    env = {k: v for k, v in ENV.items() if k != "CW_PRIVATE_KEY"}
    (problem,) = problems_of(write_config(MINIMAL), env)
    assert problem.endswith(":9: psa.private_key: environment variable CW_PRIVATE_KEY is not set")


def test_secret_from_file(write_config, tmp_path: Path) -> None:
    secret = tmp_path / "cw_key"
    secret.write_text("from-a-file\n")
    text = MINIMAL.replace('"${CW_PRIVATE_KEY}"', f'"file:{secret}"')
    loaded = load_config(write_config(text), ENV)
    assert loaded.config.psa.private_key.get_secret_value() == "from-a-file"


def test_missing_secret_file(write_config, tmp_path: Path) -> None:
    text = MINIMAL.replace('"${CW_PRIVATE_KEY}"', '"file:missing_key"')
    (problem,) = problems_of(write_config(text))
    assert ":9: psa.private_key: cannot read secret file" in problem
    assert str(tmp_path / "missing_key") in problem


def test_literal_secret_in_readable_file_warns(write_config) -> None:
    text = MINIMAL.replace('"${CW_PRIVATE_KEY}"', '"literal-private"')
    path = write_config(text)
    assert load_config(path, ENV).warnings == ()
    path.chmod(0o644)
    (warning,) = load_config(path, ENV).warnings
    assert "psa.private_key" in warning
    assert "chmod 600" in warning
    assert "literal-private" not in warning


def test_references_in_readable_file_do_not_warn(write_config) -> None:
    path = write_config(MINIMAL)
    path.chmod(0o644)
    assert load_config(path, ENV).warnings == ()


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[account]\nname = "\xff"\n')
    (problem,) = problems_of(bad)
    assert problem == f"{bad}:2: encoding: the file is not valid UTF-8"
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", ENV)


def test_emails_are_split_validated_and_deduplicated(write_config) -> None:
    extra = '\n[notify]\nemails = "a@example.com, B@example.com,b@example.com , c@example.com"\n'
    cfg = load_config(write_config(MINIMAL + extra), ENV).config
    assert cfg.notify.emails == ("a@example.com", "B@example.com", "c@example.com")


def test_find_config_order(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    xdg = tmp_path / "xdg"
    (xdg / "psabill").mkdir(parents=True)
    (xdg / "psabill" / "psabill.toml").write_text("")
    env = {"XDG_CONFIG_HOME": str(xdg)}
    assert find_config(None, env, cwd) == xdg / "psabill" / "psabill.toml"
    (cwd / "psabill.toml").write_text("")
    assert find_config(None, env, cwd) == cwd / "psabill.toml"
    assert find_config(None, {**env, "PSABILL_CONFIG": "/x.toml"}, cwd) == Path("/x.toml")
    assert find_config(Path("/y.toml"), {**env, "PSABILL_CONFIG": "/x.toml"}, cwd) == Path(
        "/y.toml"
    )
    with pytest.raises(ConfigError, match="no config file found"):
        find_config(None, {"HOME": str(tmp_path)}, tmp_path)


def test_config_is_never_world_writable_after_init(tmp_path: Path) -> None:
    from psabill.config.sample import write_sample

    target = tmp_path / "new" / "psabill.toml"
    write_sample(target, force=False)
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert os.stat(target.parent).st_mode & 0o777 == 0o700


def test_relative_ca_bundles_are_relative_to_the_config_file(write_config, tmp_path: Path) -> None:
    extra = '\n[smtp]\nca_bundle = "certs/ca.pem"\n'
    cfg = load_config(
        write_config(MINIMAL.replace("[psa]\n", '[psa]\nca_bundle = "ca.pem"\n') + extra), ENV
    ).config
    assert cfg.psa.ca_bundle == tmp_path / "ca.pem"
    assert cfg.smtp.ca_bundle == tmp_path / "certs" / "ca.pem"


def test_each_file_is_parsed_once_and_the_config_validated_once(
    write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(MINIMAL)
    mappings = config.parent / "mappings.toml"
    mappings.write_text('[[products]]\nsku = "MANAGED"\n', encoding="utf-8")
    parsed: list[str] = []
    validated: list[object] = []
    loads, validate = tomllib.loads, Config.model_validate

    def counting_loads(text: str) -> dict[str, object]:
        parsed.append(text)
        return loads(text)

    def counting_validate(data: object) -> Config:
        validated.append(data)
        return validate(data)

    monkeypatch.setattr(tomllib, "loads", counting_loads)
    monkeypatch.setattr(Config, "model_validate", counting_validate)
    loaded = load_config(config, ENV)
    assert [product.sku for product in loaded.config.products] == ["MANAGED"]
    assert sorted(parsed) == sorted([MINIMAL, mappings.read_text(encoding="utf-8")])
    assert len(validated) == 1


SOPHOS = '\n[[sources]]\nname = "sophos"\nkind = "sophos"\nclient_id = "abc"\nclient_secret = {}\n'


def test_a_literal_vendor_client_secret_is_refused(write_config) -> None:
    """The Sophos client secret opens every tenant's usage: only a reference is accepted."""
    problems = problems_of(write_config(MINIMAL + SOPHOS.format('"s3cr3t-value"')))
    assert len(problems) == 1
    assert "psabill.toml:16: sources[0].client_secret: must be" in problems[0]
    assert "reference" in problems[0]
    assert "s3cr3t-value" not in problems[0]


def test_a_vendor_client_secret_from_the_environment_loads(write_config) -> None:
    path = write_config(MINIMAL + SOPHOS.format('"${SOPHOS_SECRET}"'))
    loaded = load_config(path, {**ENV, "SOPHOS_SECRET": "s3cr3t-value"})
    assert loaded.config.sources[0].client_secret.get_secret_value() == "s3cr3t-value"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("url", "warns"), [('"json://user:tok3n@127.0.0.1:9/"', True), ('"${HOOK_URL}"', False)]
)
def test_a_literal_apprise_url_in_a_readable_file_warns(
    write_config, url: str, warns: bool
) -> None:
    """Apprise URLs hold tokens: written literally in a group-readable file, they warn."""
    path = write_config(f"{MINIMAL}\n[notify]\nurls = [{url}]\n")
    path.chmod(0o644)
    warnings = load_config(path, {**ENV, "HOOK_URL": "json://127.0.0.1:9/"}).warnings
    assert len(warnings) == (1 if warns else 0)
    assert all("notify.urls" in w and "tok3n" not in w for w in warnings)
