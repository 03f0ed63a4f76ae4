"""`config show` masks the ConnectWise clientId like the API keys: it is a credential too."""

from __future__ import annotations

import json

from click.testing import CliRunner

from psabill.cli import main
from psabill.config.loader import load_config
from psabill.config.show import MASK, effective, to_toml
from tests.conftest import ENV, MINIMAL

CLIENT_ID = ENV["CW_CLIENT_ID"]


def test_effective_masks_the_client_id(write_config) -> None:  # type: ignore[no-untyped-def]
    config = load_config(write_config(MINIMAL), ENV).config
    assert config.psa.client_id == CLIENT_ID  # the client itself still gets the real value
    assert effective(config)["psa"]["client_id"] == MASK
    assert CLIENT_ID not in to_toml(config)


def test_config_show_never_prints_the_client_id(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(MINIMAL)
    for args in (("config", "show"), ("config", "show", "--json")):
        result = CliRunner().invoke(main, ["--config", str(path), *args], env=ENV)
        assert result.exit_code == 0, result.output
        assert CLIENT_ID not in result.output
    shown = CliRunner().invoke(main, ["--config", str(path), "config", "show", "--json"], env=ENV)
    assert json.loads(shown.stdout)["psa"]["client_id"] == MASK
