"""The fast path's cache of a validated config: exact when it hits, a miss on any change.

:func:`psabill.config.validated.recall` must hand back what the due decision reads only while
every input of the last full validation is unchanged, and its answers must equal the full
config's: the same targets, labels and decisions, on random configs at random instants.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from psabill.config.loader import load_config
from psabill.config.validated import Validated, cache_path, recall, remember
from psabill.core.due import TargetDue, evaluate_targets, targets
from psabill.core.schedule.engine import Completed
from tests.conftest import ENV, MINIMAL

CUSTOMERS = """
[[customers]]
id = "51234"
name = "Müller & Söhne"
psa_company = "Mueller"

[[customers]]
id = "51234"
source = "trend"
psa_company = "Mueller"
settings = "custom"
schedule = { mode = "weekly", weekday = "tue", hour = "07:00", catch_up = "3d" }

[[customers]]
id = "off"
psa_company = "Off"
sync = false

[[sources]]
name = "trend"
kind = "csv"
path = "trend.csv"
"""


@pytest.fixture
def world(tmp_path: Path, write_config):  # type: ignore[no-untyped-def]
    state = tmp_path / "state"
    state.mkdir()
    path = write_config(MINIMAL + "\n[schedule]\nday = 31\nhour = 7\n" + CUSTOMERS)
    return path, state


def remembered(path: Path, state: Path, env: dict[str, str] = ENV) -> Validated | None:
    assert remember(load_config(path, env), state)
    return recall(path, env, state)


def view(items: list[TargetDue]) -> list[tuple[object, ...]]:
    """What a due decision says, whichever config it was made from."""
    found = []
    for item in items:
        target, schedule = item.target, item.target.schedule
        found.append((target.key, target.label, target.custom, target.rule, item.decision))
        found.append((schedule.enabled, schedule.catch_up))
    return found


def test_a_remembered_config_is_recalled_and_decides_as_the_full_one(world) -> None:  # type: ignore[no-untyped-def]
    path, state = world
    validated = remembered(path, state)
    assert validated is not None
    config = load_config(path, ENV).config
    assert [c.name for c in validated.customers] == ["Müller & Söhne", None, None]
    now = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # a Tuesday, 07:30 in New York
    last = {"51234": Completed("2026-10", datetime(2026, 10, 31, 11, tzinfo=UTC))}
    full = evaluate_targets(config, last.get, now)
    fast = evaluate_targets(validated, last.get, now)
    assert view(fast) == view(full)
    assert [i.due for i in fast] == [True, True]  # evidence: both customers are due here
    assert view(evaluate_targets(validated, last.get, now, "trend:51234")) == view(
        evaluate_targets(config, last.get, now, "trend:51234")
    )


def test_nothing_is_remembered_without_a_state_directory(tmp_path: Path, write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(MINIMAL)
    state = tmp_path / "state"
    assert not remember(load_config(path, ENV), state)
    assert not state.exists()
    assert recall(path, ENV, state) is None


def test_the_cache_holds_no_secret(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, state = world
    secret = tmp_path / "client_id"
    secret.write_text("b9f1c2-very-secret-client\n")
    path.write_text(path.read_text().replace('"${CW_CLIENT_ID}"', f'"file:{secret}"'))
    assert remembered(path, state) is not None
    stored = cache_path(state, path).read_text()
    for value in (*ENV.values(), "b9f1c2-very-secret-client"):
        assert value not in stored
    assert oct(cache_path(state, path).stat().st_mode & 0o777) == "0o600"


def _edit_config(path: Path, env: dict[str, str]) -> None:
    path.write_text(path.read_text() + "\n# a comment is an edit too\n")


def _edit_mappings(path: Path, env: dict[str, str]) -> None:
    (path.parent / "mappings.toml").write_text('[[customers]]\nid = "new"\npsa_company = "New"\n')


def _unset_variable(path: Path, env: dict[str, str]) -> None:
    del env["CW_PRIVATE_KEY"]


def _empty_variable(path: Path, env: dict[str, str]) -> None:
    env["CW_CLIENT_ID"] = ""


def _other_site(path: Path, env: dict[str, str]) -> None:
    path.write_text(path.read_text().replace('"http://127.0.0.1:8917"', '"${SITE}"'))


def _group_readable(path: Path, env: dict[str, str]) -> None:
    path.chmod(0o640)


def _other_home(path: Path, env: dict[str, str]) -> None:
    env["HOME"] = "/elsewhere"


def _garbage_cache(path: Path, env: dict[str, str]) -> None:
    cache = cache_path(path.parent / "state", path)
    cache.write_text(cache.read_text()[:-20])


def _tampered_cache(path: Path, env: dict[str, str]) -> None:
    cache = cache_path(path.parent / "state", path)
    data = json.loads(cache.read_text())
    data["config"]["timezone"] = "Europe/Berlin"
    cache.write_text(json.dumps(data))


def _other_format(path: Path, env: dict[str, str]) -> None:
    cache = cache_path(path.parent / "state", path)
    data = json.loads(cache.read_text())
    data["format"] = 0
    cache.write_text(json.dumps(data))


def _no_cache(path: Path, env: dict[str, str]) -> None:
    cache_path(path.parent / "state", path).unlink()


CHANGES = [
    _edit_config,
    _edit_mappings,
    _unset_variable,
    _empty_variable,
    _group_readable,
    _other_home,
    _garbage_cache,
    _tampered_cache,
    _other_format,
    _no_cache,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_any_change_to_what_validation_read_is_a_miss(world, change) -> None:  # type: ignore[no-untyped-def]
    path, state = world
    env = {**ENV, "HOME": "/home/psabill"}
    assert remembered(path, state, env) is not None
    assert recall(path, env, state) is not None  # evidence: unchanged, it hits
    change(path, env)
    assert recall(path, env, state) is None


def test_a_referenced_value_is_part_of_the_digest(world) -> None:  # type: ignore[no-untyped-def]
    path, state = world
    _other_site(path, {})
    env = {**ENV, "SITE": "http://127.0.0.1:8917"}
    assert remembered(path, state, env) is not None
    assert recall(path, env, state) is not None
    # Another site would still validate; a plain-http remote one would not. Either way: a miss.
    assert recall(path, {**env, "SITE": "http://cw.example.com"}, state) is None


def test_a_secret_file_that_changes_state_is_a_miss(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, state = world
    secret = tmp_path / "private_key"
    secret.write_text("key-one\n")
    path.write_text(path.read_text().replace('"${CW_PRIVATE_KEY}"', f'"file:{secret}"'))
    assert remembered(path, state) is not None
    secret.write_text("key-two\n")  # a rotated key validates alike: still a hit
    assert recall(path, ENV, state) is not None
    secret.write_text("")
    assert recall(path, ENV, state) is None
    secret.unlink()
    assert recall(path, ENV, state) is None


# -- random configs: the recalled view decides exactly as the full config -----------------------

ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")


def _schedule(rng: random.Random) -> str:
    mode = rng.choice(["monthly", "weekly", "daily", "cron"])
    keys = {
        "monthly": f"day = {rng.randint(1, 31)}",
        "weekly": f'weekday = "{rng.choice(["monday", "Sun", "fri"])}"',
        "daily": "",
        "cron": f'cron = "0 {rng.randint(0, 23)} * * {rng.choice(["*", "1-5", "0"])}"',
    }[mode]
    parts = [f'mode = "{mode}"', keys, f"hour = {rng.randint(0, 23)}"]
    parts += [f'catch_up = "{rng.choice(["1h", "72h", "3d", "30m"])}"'] * (rng.random() < 0.5)
    parts += [f"enabled = {rng.choice(['true', 'false'])}"] * (rng.random() < 0.3)
    return ", ".join(p for p in parts if p)


def _random_config(rng: random.Random) -> str:
    text = MINIMAL.replace("America/New_York", rng.choice(ZONES))
    text += "[schedule]\n" + _schedule(rng).replace(", ", "\n") + "\n"
    for n in range(rng.randint(0, 6)):
        text += f'\n[[customers]]\nid = "c{n % 4}"\npsa_company = "P{n}"\n'
        text += f'source = "{rng.choice(["a", "b"])}"\n' if n >= 4 else ""
        text += f'name = "{rng.choice(["Acme", "Beta"])}"\n' if rng.random() < 0.5 else ""
        text += "sync = false\n" if rng.random() < 0.2 else ""
        if rng.random() < 0.4:
            text += f'settings = "custom"\nschedule = {{ {_schedule(rng)} }}\n'
    text += '\n[[sources]]\nname = "a"\nkind = "csv"\npath = "a.csv"\n'
    return text + '\n[[sources]]\nname = "b"\nkind = "csv"\npath = "b.csv"\n'


def _both(seed: int, directory: Path) -> list[tuple[list[TargetDue], list[TargetDue]]]:
    """Due decisions of a random config at random instants: from the recalled view, and from
    the full config."""
    rng = random.Random(seed)
    path = directory / "psabill.toml"
    path.write_text(_random_config(rng))
    path.chmod(0o600)
    state = directory / "state"
    state.mkdir()
    loaded = load_config(path, ENV)
    assert remember(loaded, state)
    validated = recall(path, ENV, state)
    assert validated is not None
    config = loaded.config
    assert [(t.key, t.label, t.custom) for t in targets(validated)] == [
        (t.key, t.label, t.custom) for t in targets(config)
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    pairs = []
    for _ in range(20):
        now = start + timedelta(minutes=rng.randrange(60 * 24 * 400))
        last = {
            t.key: Completed("p", now - timedelta(hours=rng.randrange(1, 24 * 40)))
            for t in targets(config)
            if rng.random() < 0.7
        }
        fast = evaluate_targets(validated, last.get, now)
        pairs.append((fast, evaluate_targets(config, last.get, now)))
    return pairs


@pytest.mark.parametrize("seed", range(60))
def test_random_configs_decide_alike_at_random_instants(seed: int, tmp_path: Path) -> None:
    for fast, full in _both(seed, tmp_path):
        assert view(fast) == view(full)


def test_the_random_configs_reach_every_kind_of_decision(tmp_path: Path) -> None:
    """Evidence that the comparison above is not between empty or uniform answers."""
    kinds: set[str] = set()
    for seed in range(60):
        (tmp_path / str(seed)).mkdir()
        for fast, _ in _both(seed, tmp_path / str(seed)):
            for item in fast:
                kinds.add("due" if item.due else "not due")
                kinds |= {"missed"} if item.decision.missed else set()
                kinds |= {"disabled"} if not item.target.schedule.enabled else set()
                kinds |= {"custom"} if item.target.custom else set()
    assert kinds == {"due", "not due", "missed", "disabled", "custom"}
