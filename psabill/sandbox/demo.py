"""``psabill demo``: a real sync, end to end, against the built-in sandbox PSA.

Starts the sandbox with its demo data on a free loopback port, writes the
demo config and usage files (the same as ``examples/``) into a directory,
and hands back everything the CLI needs to run ``sync --now`` against it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.sophos_server import SophosSandbox, source_toml

_SITE_LINE = re.compile(r'^site = ".*"$', re.MULTILINE)
_SOPHOS_CSV = re.compile(
    r'^\[\[sources\]\]\nname = "sophos"\nkind = "csv"\n(?:\w+ = .*\n)*', re.MULTILINE
)


@dataclass(frozen=True)
class DemoSetup:
    directory: Path
    config: Path
    state_dir: Path
    mail_dir: Path


def start_sandbox() -> Sandbox:
    store = Store()
    seed_demo(store)
    sandbox = Sandbox(store)
    sandbox.start()
    return sandbox


def start_sophos() -> SophosSandbox:
    """The fake Sophos Central with the demo's tenants and usage, started."""
    sophos = SophosSandbox()
    sophos.start()
    return sophos


def prepare(
    site_url: str, directory: Path | None = None, sophos: SophosSandbox | None = None
) -> DemoSetup:
    """Write the demo config (pointing at ``site_url``) and usage files; return the paths.

    The config is the packaged one (the same as ``examples/psabill.toml``),
    except that it talks to ``site_url``; it writes summaries to ``mail/``
    beside it (``transport = "folder"``). With ``sophos``, the "sophos" source
    reads that fake Sophos Central instead of ``usage/sophos.csv``.
    """
    target = directory or Path(tempfile.mkdtemp(prefix="psabill-demo-"))
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    with as_file(files("psabill").joinpath("data/demo")) as source:
        shutil.copytree(Path(source) / "usage", target / "usage", dirs_exist_ok=True)
        text = (Path(source) / "psabill.toml").read_text(encoding="utf-8")
    config = target / "psabill.toml"
    text = _SITE_LINE.sub(f'site = "{site_url}"', text, count=1)
    if sophos is not None:
        text, found = _SOPHOS_CSV.subn(lambda _: source_toml(sophos), text, count=1)
        if not found:  # pragma: no cover - the packaged config is fixed
            raise RuntimeError("the packaged demo config has no csv source named sophos")
    config.write_text(text, encoding="utf-8")
    os.chmod(config, 0o600)
    return DemoSetup(target, config, target / "state", target / "mail")
