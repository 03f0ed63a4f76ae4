"""Where the state lives: the lookup order, and private creation of the directory."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from psabill.errors import StateError
from psabill.state import ensure_private_dir, resolve_state_dir

HOME = {"HOME": "/home/ann"}


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        pytest.param("/opt/s", {**HOME, "PSABILL_STATE_DIR": "/p"}, "/opt/s", id="option-wins"),
        pytest.param(
            None, {**HOME, "PSABILL_STATE_DIR": "/p", "STATE_DIRECTORY": "/sd"}, "/p", id="own-env"
        ),
        pytest.param(
            None,
            {**HOME, "STATE_DIRECTORY": "/var/lib/psabill", "XDG_STATE_HOME": "/x"},
            "/var/lib/psabill",
            id="systemd",
        ),
        pytest.param(
            None, {"STATE_DIRECTORY": "/var/lib/a:/var/lib/b"}, "/var/lib/a", id="systemd-list"
        ),
        pytest.param(None, {**HOME, "XDG_STATE_HOME": "/x"}, "/x/psabill", id="xdg"),
        pytest.param(None, HOME, "/home/ann/.local/state/psabill", id="home-default"),
        pytest.param(
            None,
            {**HOME, "XDG_STATE_HOME": "rel/dir"},
            "/home/ann/.local/state/psabill",
            id="xdg-rel",
        ),
        pytest.param(
            None,
            {**HOME, "PSABILL_STATE_DIR": "", "STATE_DIRECTORY": "", "XDG_STATE_HOME": ""},
            "/home/ann/.local/state/psabill",
            id="empty-is-unset",
        ),
    ],
)
def test_resolve_state_dir_order(explicit: str | None, env: dict[str, str], expected: str) -> None:
    given = Path(explicit) if explicit is not None else None
    assert resolve_state_dir(given, env) == Path(expected)


def test_resolve_state_dir_without_home_says_what_to_set() -> None:
    with pytest.raises(StateError) as caught:
        resolve_state_dir(None, {"XDG_STATE_HOME": "relative"})
    assert caught.value.hint is not None
    assert "--state-dir" in caught.value.hint


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o277], ids=lambda mask: f"umask{mask:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run under a given umask (0o277 would leave a plain mkdir without write permission)."""
    mask: int = request.param
    old = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask")
def test_ensure_private_dir_creates_it_and_missing_parents_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "psabill"

    assert ensure_private_dir(target) == target

    for created in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert created.is_dir()
        assert _mode(created) == 0o700, created


def test_ensure_private_dir_leaves_an_existing_shared_dir_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)

    assert ensure_private_dir(shared) == shared
    assert ensure_private_dir(shared / "inner") == shared / "inner"

    assert _mode(shared) == 0o755
    assert _mode(shared / "inner") == 0o700


def test_ensure_private_dir_is_idempotent(tmp_path: Path) -> None:
    target = ensure_private_dir(tmp_path / "s")
    (target / "keep").write_text("x")

    assert ensure_private_dir(target) == target
    assert (target / "keep").read_text() == "x"


@pytest.mark.parametrize("where", ["itself", "parent"])
def test_ensure_private_dir_refuses_a_file_in_the_way(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a dir")
    target = blocker if where == "itself" else blocker / "psabill"

    with pytest.raises(StateError, match="not a directory") as caught:
        ensure_private_dir(target)
    assert str(target) in str(caught.value)
    assert blocker.read_text() == "not a dir"
