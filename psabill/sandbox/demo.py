"""``psabill demo``: a real sync, end to end, against a built-in sandbox PSA.

Starts a sandbox (ConnectWise Manage, Autotask or HaloPSA) with the demo MSP on a free loopback
port, writes the demo config and usage files (the same as ``examples/``) into a directory, and
hands back everything the CLI needs to run ``sync --now`` against it. The config is the packaged
one spoken in that PSA's terms (:mod:`psabill.sandbox.demo_config`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from psabill.sandbox.auth import DEMO_CREDENTIALS
from psabill.sandbox.demo_config import demo_config
from psabill.sandbox.kinds import (
    Identifiers,
    SameIdentifiers,
    connectwise_section,
    identifiers,
    psa_sandbox,
    psa_section,
)
from psabill.sandbox.seed import seed_demo
from psabill.sandbox.server import Sandbox
from psabill.sandbox.sophos_server import SophosSandbox, source_toml
from psabill.sandbox.store import Store

_SOPHOS_CSV = re.compile(
    r'^\[\[sources\]\]\nname = "sophos"\nkind = "csv"\n(?:\w+ = .*\n)*', re.MULTILINE
)


@dataclass(frozen=True)
class DemoSetup:
    directory: Path
    config: Path
    state_dir: Path
    mail_dir: Path


@dataclass(frozen=True)
class DemoPsa:
    """What the demo config needs from the PSA it runs against."""

    section: dict[str, Any]
    """The ``[psa]`` table reaching it."""
    ids: Identifiers = field(default_factory=SameIdentifiers)
    """The demo's ``psa_company``/``psa_product`` values in its terms."""

    @classmethod
    def of(cls, sandbox: Sandbox) -> DemoPsa:
        """The running ``sandbox``, which serves (or was translated from) ``sandbox.store``."""
        return cls(psa_section(sandbox), identifiers(sandbox.kind, sandbox.store))

    @classmethod
    def connectwise(cls, site_url: str) -> DemoPsa:
        """The ConnectWise sandbox at ``site_url`` with its demo keys."""
        return cls(connectwise_section(site_url, DEMO_CREDENTIALS))


def start_sandbox(kind: str = "connectwise") -> Sandbox:
    """A sandbox of ``kind`` serving the demo MSP, started."""
    store = Store()
    seed_demo(store)
    sandbox = psa_sandbox(kind, store)
    sandbox.start()
    return sandbox


def start_sophos() -> SophosSandbox:
    """The fake Sophos Central with the demo's tenants and usage, started."""
    sophos = SophosSandbox()
    sophos.start()
    return sophos


def prepare(
    site_url: str | None = None,
    directory: Path | None = None,
    sophos: SophosSandbox | None = None,
    *,
    psa: DemoPsa | None = None,
) -> DemoSetup:
    """Write the demo config and usage files; return the paths.

    The config is the packaged one (the same as ``examples/psabill.toml``) talking to ``psa``
    (default: the ConnectWise sandbox at ``site_url``); it writes summaries to ``mail/``
    beside it (``transport = "folder"``). With ``sophos``, the "sophos" source reads that
    fake Sophos Central instead of ``usage/sophos.csv``.
    """
    if psa is None:
        if site_url is None:
            raise ValueError("prepare() needs the sandbox's site_url or a DemoPsa")
        psa = DemoPsa.connectwise(site_url)
    target = directory or Path(tempfile.mkdtemp(prefix="psabill-demo-"))
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    with as_file(files("psabill").joinpath("data/demo")) as source:
        shutil.copytree(Path(source) / "usage", target / "usage", dirs_exist_ok=True)
        text = (Path(source) / "psabill.toml").read_text(encoding="utf-8")
    config = target / "psabill.toml"
    text = demo_config(text, psa.section, psa.ids)
    if sophos is not None:
        text, found = _SOPHOS_CSV.subn(lambda _: source_toml(sophos), text, count=1)
        if not found:  # pragma: no cover - the packaged config is fixed
            raise RuntimeError("the packaged demo config has no csv source named sophos")
    config.write_text(text, encoding="utf-8")
    os.chmod(config, 0o600)
    return DemoSetup(target, config, target / "state", target / "mail")
