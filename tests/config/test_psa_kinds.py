"""`[psa] kind = "autotask" | "halopsa"`: loading, the problems a user meets, and secrets.

Each PSA's section is its own model; the problems name the key, its line and, for a key
another PSA uses, which PSA and kind. The PSA's secrets are masked, warned about when
written literally into a file others can read, and never part of the validation cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from psabill.cli import main
from psabill.config.loader import load_config
from psabill.config.models import AutotaskPsa, ConnectWisePsa, HaloPsa
from psabill.config.show import MASK, effective
from psabill.config.validated import cache_path, recall, remember
from psabill.errors import ConfigError, ExitCode

ACCOUNT = '[account]\nname = "Northwind MSP"\ntimezone = "America/New_York"\n\n'
AUTOTASK = (
    ACCOUNT
    + """[psa]
kind = "autotask"
username = "psabill-api@example.com"
integration_code = "${AT_CODE}"
secret = "${AT_SECRET}"
zone_lookup = "http://127.0.0.1:8918/atservicesrest"
"""
)
HALO = (
    ACCOUNT
    + """[psa]
kind = "halopsa"
url = "http://127.0.0.1:8919"
client_id = "${HALO_ID}"
client_secret = "${HALO_SECRET}"
tenant = "psabill"
"""
)
ENV = {
    "AT_CODE": "TRACK-7Q2-private",
    "AT_SECRET": "at-secret-9f3e",
    "HALO_ID": "halo-client-4411",
    "HALO_SECRET": "halo-secret-77ab",
}
SECRETS = tuple(ENV.values())


def problems_of(path: Path, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env)
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value.problems


def test_autotask_section_loads_with_its_defaults(write_config) -> None:  # type: ignore[no-untyped-def]
    psa = load_config(write_config(AUTOTASK), ENV).config.psa
    assert isinstance(psa, AutotaskPsa)
    assert psa.secret.get_secret_value() == ENV["AT_SECRET"]
    assert psa.integration_code.get_secret_value() == ENV["AT_CODE"]
    assert (psa.concurrency, psa.rate_ceiling) == (3, 80)


def test_halo_section_loads_with_its_defaults(write_config) -> None:  # type: ignore[no-untyped-def]
    psa = load_config(write_config(HALO), ENV).config.psa
    assert isinstance(psa, HaloPsa)
    assert psa.client_secret.get_secret_value() == ENV["HALO_SECRET"]
    assert (psa.tenant, psa.concurrency, psa.rate_ceiling) == ("psabill", 2, 55)


def test_no_kind_is_still_connectwise(write_config) -> None:  # type: ignore[no-untyped-def]
    text = ACCOUNT + '[psa]\nsite = "https://cw.example.com"\ncompany = "c"\n'
    text += 'public_key = "a"\nprivate_key = "b"\nclient_id = "c"\n'
    assert isinstance(load_config(write_config(text), ENV).config.psa, ConnectWisePsa)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        (AUTOTASK, "username", 7),
        (AUTOTASK, "integration_code", 8),
        (AUTOTASK, "secret", 9),
        (HALO, "url", 7),
        (HALO, "client_id", 8),
        (HALO, "client_secret", 9),
    ],
)
def test_each_missing_key_is_named(write_config, text: str, key: str, line: int) -> None:  # type: ignore[no-untyped-def]
    lines = text.splitlines()
    assert lines[line - 1].startswith(f"{key} =")
    del lines[line - 1]
    (problem,) = problems_of(write_config("\n".join(lines) + "\n"))
    assert problem.endswith(f":5: psa.{key}: required key is missing")  # at [psa]


@pytest.mark.parametrize(
    ("text", "typo", "meant"),
    [
        (AUTOTASK, 'zone_lookp = "x"', "zone_lookup"),
        (AUTOTASK, 'user_name = "x"', "username"),
        (HALO, 'tennant = "x"', "tenant"),
        (HALO, 'client_secrt = "x"', "client_secret"),
    ],
)
def test_unknown_key_suggests_the_close_one_of_that_psa(write_config, text, typo, meant) -> None:  # type: ignore[no-untyped-def]
    (problem,) = problems_of(write_config(text + typo + "\n"))
    name = typo.split(" ")[0]
    assert f":11: psa.{name}: unknown key (not part of the psabill schema)" in problem
    assert problem.endswith(f"did you mean `{meant}`?")


def test_connectwise_keys_left_after_switching_kind_get_one_line_each(write_config) -> None:  # type: ignore[no-untyped-def]
    text = AUTOTASK + 'site = "na.myconnectwise.net"\ncompany = "northwind"\nclient_id = "x"\n'
    problems = problems_of(write_config(text))
    expected = [
        ':11: psa.site: a ConnectWise key, not used with kind = "autotask": remove it',
        ':12: psa.company: a ConnectWise key, not used with kind = "autotask": remove it',
        ':13: psa.client_id: a ConnectWise and HaloPSA key, not used with kind = "autotask": '
        "remove it",
    ]
    assert len(problems) == len(expected)
    for problem, end in zip(problems, expected, strict=True):
        assert problem.endswith(end)


def test_another_psas_key_under_the_default_kind_names_both(write_config) -> None:  # type: ignore[no-untyped-def]
    text = ACCOUNT + '[psa]\nsite = "https://cw.example.com"\ncompany = "c"\n'
    text += 'public_key = "a"\nprivate_key = "b"\nclient_id = "c"\nsecret = "${AT_SECRET}"\n'
    (problem,) = problems_of(write_config(text))
    assert problem.endswith(
        ':11: psa.secret: an Autotask key, not used with kind = "connectwise": remove it'
    )


@pytest.mark.parametrize("kind", ["odoo", "Autotask", 3])
def test_an_unknown_kind_is_one_problem_at_its_line(write_config, kind: object) -> None:  # type: ignore[no-untyped-def]
    text = AUTOTASK.replace('kind = "autotask"', f"kind = {json.dumps(kind)}")
    (problem,) = problems_of(write_config(text))
    assert problem.endswith(":6: psa.kind: kind must be one of connectwise, autotask, halopsa")


@pytest.mark.parametrize(
    ("text", "key", "value", "public"),
    [
        (AUTOTASK, "integration_code", "TRACK-7Q2-private", "DEMO7TRACKING5CODE"),
        (AUTOTASK, "secret", "at-secret-9f3e", "demo-autotask-secret"),
        (HALO, "client_secret", "halo-secret-77ab", "sandbox-halo-secret"),
    ],
)
def test_a_literal_psa_secret_is_warned_about_like_a_connectwise_key(  # type: ignore[no-untyped-def]
    write_config, text: str, key: str, value: str, public: str
) -> None:
    """Allowed in a private file, warned about in a readable one, except the sandbox's
    public demo values: the same policy as ConnectWise's keys, never a refusal."""
    reference = next(line for line in text.splitlines() if line.startswith(f"{key} ="))
    literal = text.replace(reference, f'{key} = "{value}"')
    path = write_config(literal)
    assert load_config(path, ENV).warnings == ()
    path.chmod(0o644)
    (warning,) = load_config(path, ENV).warnings
    assert f"holds a literal secret (psa.{key})" in warning
    assert value not in warning
    path.write_text(text.replace(reference, f'{key} = "{public}"'))
    assert load_config(path, ENV).warnings == ()


@pytest.mark.parametrize("text", [AUTOTASK, HALO])
def test_config_show_masks_every_psa_credential(write_config, text: str) -> None:  # type: ignore[no-untyped-def]
    path = write_config(text)
    shown = effective(load_config(path, ENV).config)["psa"]
    secret_keys = {"integration_code", "secret", "client_id", "client_secret"} & set(shown)
    assert secret_keys
    assert all(shown[key] == MASK for key in secret_keys)
    for args in (("config", "show"), ("config", "show", "--json")):
        result = CliRunner().invoke(main, ["--config", str(path), *args], env=ENV)
        assert result.exit_code == 0, result.output
        assert not [secret for secret in SECRETS if secret in result.output]


@pytest.mark.parametrize("text", [AUTOTASK, HALO])
def test_the_validation_cache_holds_no_psa_secret(  # type: ignore[no-untyped-def]
    write_config, tmp_path: Path, text: str
) -> None:
    """Not even hashed: a rotated secret is still a hit, so its value is not in the digest."""
    path, state = write_config(text), tmp_path / "state"
    state.mkdir()
    assert remember(load_config(path, ENV), state)
    stored = cache_path(state, path).read_text()
    assert not [secret for secret in SECRETS if secret in stored]
    rotated = {name: f"{value}-rotated" for name, value in ENV.items()}
    assert recall(path, rotated, state) is not None
    assert recall(path, {**rotated, "AT_SECRET": "", "HALO_SECRET": ""}, state) is None
