"""Config fuzzing through the real CLI: every broken config is exit 78 with FILE:LINE lines.

Documents are the shipped sample with random mutations (wrong types, unknown keys, bad zones,
days, hours, emails, admin rights, secret references, duplicated tables, byte garbage,
truncation) or wholly random TOML. Each one goes through ``psabill config validate`` and, when
it is invalid, through ``psabill sync --now``, which must stop at config load: no state
directory, no ledger, no run.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from psabill.cli import main
from psabill.config.models import ConnectWisePsa
from psabill.config.sample import sample_text
from psabill.psa.connectwise.urls import normalise_codebase, parse_site
from tests.conftest import ENV

SAMPLE = sample_text()
CLI_ENV: dict[str, str | None] = {**ENV, "MISSING": None, "PSABILL_CONFIG": None}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) = (.+)$")
_HEADER = re.compile(r"^\[\[?[A-Za-z_.]+\]\]?$")
SCHEMA_WORDS = sorted(
    {m.group(1) for line in SAMPLE.splitlines() if (m := _ASSIGNMENT.match(line))}
    | {"account", "schedule", "sync", "notify", "smtp", "psa", "sources", "products"}
    | {"customers", "billing_admins", "approval", "monitoring", "contracts", "contract"}
)


# -- TOML values ---------------------------------------------------------------------------


def toml_key(key: str) -> str:
    return tomli_w.dumps({key: 0}).rsplit(" = ", 1)[0]


def literal(value: Any) -> str:
    """``value`` as an inline TOML value (tomli_w writes top-level tables as sections)."""
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {literal(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return tomli_w.dumps({"k": value}).split(" = ", 1)[1].strip()


keys = st.one_of(st.sampled_from(SCHEMA_WORDS), st.text(min_size=1, max_size=8))
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", "${MISSING}", "${}", "06:30", "72h", "50%", "sum", "file:~nobody-x/k"]),
    st.text(max_size=10).map(lambda name: f"file:{name}"),
    st.dates(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


# -- mutations of the sample -----------------------------------------------------------------


@dataclass
class Doc:
    """A document under construction; ``bad`` names a mutation known to make it invalid."""

    text: str
    bad: str | None = None


@st.composite
def neutral_mutation(draw: st.DrawFn, doc: Doc) -> None:
    """A mutation that may or may not leave the document valid."""
    kind = draw(st.sampled_from(["wrong_type", "unknown_key", "typo_key", "drop_line"]))
    lines = doc.text.splitlines(keepends=True)
    assignments = [i for i, line in enumerate(lines) if _ASSIGNMENT.match(line)]
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line.strip())]
    if kind == "wrong_type" and assignments:
        at = draw(st.sampled_from(assignments))
        name = _ASSIGNMENT.match(lines[at]).group(1)  # type: ignore[union-attr]
        lines[at] = f"{name} = {literal(draw(values))}\n"
    elif kind in ("unknown_key", "typo_key"):
        if kind == "typo_key":
            word = draw(st.sampled_from(SCHEMA_WORDS))
            cut = draw(st.integers(0, len(word) - 1))
            name = word[:cut] + word[cut + 1 :] or "x"
        else:
            name = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True))
        where = draw(st.sampled_from(headers)) + 1 if headers else 0
        lines.insert(where, f"{toml_key(name)} = {literal(draw(values))}\n")
    elif assignments:
        del lines[draw(st.sampled_from(assignments))]
    doc.text = "".join(lines)


BAD_ZONES = ["Mars/Olympus", "", "America/New York", "UTC+2", "../../etc/passwd", "EST 5"]
BAD_EMAILS = ["not-an-email", "a@b", "a@@b.example", "a@b.example; c@d.example", "@x.example"]
SEMANTIC: dict[str, tuple[str, list[str]]] = {
    "bad zone": ('timezone = "America/New_York"', [f"timezone = {literal(z)}" for z in BAD_ZONES]),
    "day 0/32": ("day = 1\n", ["day = 0\n", "day = 32\n", "day = -1\n", 'day = "first"\n']),
    "hour": (
        "hour = 6\n",
        [
            "hour = 24\n",
            'hour = "06:30"\n',
            'hour = "6:15"\n',
            "hour = 6.5\n",
            "hour = -1\n",
            'hour = "24:00"\n',
            "hour = true\n",
        ],
    ),
    # Cron mode takes any minute; here `day` does not apply, or the rule has 4 fields.
    "bad cron": (
        'mode = "monthly"\n',
        ['mode = "cron"\ncron = "30 6 * * *"\n', 'mode = "cron"\ncron = "0 6 * *"\n'],
    ),
    "bad email": (
        'emails = "billing@northwind.example, ops@northwind.example"',
        [f"emails = {literal(e)}" for e in BAD_EMAILS] + ['emails = ["a@b.example", 3]'],
    ),
    "bad sender": ('sender = "psabill@northwind.example"', ['sender = "psabill at northwind"']),
    "pay without view": (
        "view_invoices = true\npay_invoices = true",
        ["view_invoices = false\npay_invoices = true"],
    ),
    "missing env": (
        '"${CW_PRIVATE_KEY}"',
        ['"${MISSING}"', '"file:/nonexistent/psabill-secret"'],
    ),
    "bad max_drop": (
        'max_drop = "50%"',
        [
            'max_drop = "150%"',
            'max_drop = "abc%"',
            'max_drop = "x"',
            "max_drop = nan",
            "max_drop = -0.1",
            "max_drop = true",
            'max_drop = "%"',
        ],
    ),
    "duplicated table": (
        "[approval]\n",
        ['[account]\nname = "Again"\n\n[approval]\n', "[approval]\nrequired = false\n[approval]\n"],
    ),
    "duplicated mapping": (
        "[[customers]]\n",
        ['[[products]]\nsku = "LP-BUS"\nsource = "lastpass"\n\n[[customers]]\n'],
    ),
}


@st.composite
def mutated_sample(draw: st.DrawFn) -> Doc:
    doc = Doc(SAMPLE)
    for _ in range(draw(st.integers(0, 2))):
        draw(neutral_mutation(doc))
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(SEMANTIC)))
        old, choices = SEMANTIC[name]
        if old in doc.text:
            doc.text = doc.text.replace(old, draw(st.sampled_from(choices)), 1)
            doc.bad = name
    return doc


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    """The sample (maybe mutated) with byte garbage spliced in, or cut at a random point."""
    data = draw(mutated_sample()).text.encode()
    at = draw(st.integers(0, len(data)))
    if draw(st.booleans()):
        return data[:at]
    garbage = draw(
        st.one_of(
            st.binary(min_size=1, max_size=16),
            st.sampled_from([b"\xff\xfe", b"\x00", b"\xc3(", b"\x80abc", "é".encode("latin-1")]),
        )
    )
    return data[:at] + garbage + data[at:]


random_documents = st.dictionaries(keys, values, max_size=6).map(tomli_w.dumps)


# -- the check -------------------------------------------------------------------------------


def cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], env=CLI_ENV)


def problem_lines(result: Result, path: Path) -> list[str]:
    """The ``FILE[:LINE]: key: message`` lines of a config error, whatever their number."""
    lines = result.output.splitlines()
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    summary = re.fullmatch(
        rf"{re.escape(str(path))}: \d+ problems? in the configuration", errors[0]
    )
    if summary is None:
        return errors  # a single problem is the error message itself
    return [line for line in lines if not line.startswith(("error: ", "hint: ", "warning: "))]


def top_level_keys(text: str) -> set[str]:
    """The keys the document defines at the top level (none when it is not TOML)."""
    try:
        return set(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return set()


def check_problems(result: Result, path: Path, text: str) -> None:
    pattern = re.compile(rf"^{re.escape(str(path))}(:\d+)?: (.+?): (.+)$")
    problems = problem_lines(result, path)
    assert problems, result.output
    for problem in problems:
        match = pattern.match(problem)
        assert match, f"not FILE:LINE: key: message: {problem!r}"
        line, key = match.group(1), match.group(2)
        if line is None:
            top = re.split(r"[.\[]", key, maxsplit=1)[0]
            assert top not in top_level_keys(text), f"{problem!r} has no line number"
        else:
            assert 1 <= int(line[1:]) <= max(1, text.count("\n") + 1), problem


def check_document(data: bytes, *, bad: str | None = None) -> int:
    """Run the CLI on ``data``; return the exit code after checking every promise."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "psabill.toml"
        path.write_bytes(data)
        path.chmod(0o600)
        result = cli(path, "config", "validate")
        assert result.exit_code in (0, 78), result.output
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output
        if result.exit_code == 0:
            assert bad is None, f"{bad}: accepted\n{data.decode(errors='replace')}"
            tomllib.loads(data.decode("utf-8-sig"))  # exit 0 only for a real TOML document
            assert "valid - " in result.output
            shown = cli(path, "config", "show")
            assert shown.exit_code == 0, shown.output
            return 0
        check_problems(result, path, data.decode("utf-8", errors="replace"))
        state = Path(directory) / "state"
        run = CliRunner().invoke(
            main, ["--config", str(path), "--state-dir", str(state), "sync", "--now"], env=CLI_ENV
        )
        assert run.exit_code == 78, run.output
        assert "Traceback" not in run.output
        assert "internal error" not in run.output
        assert not state.exists(), "sync created state before its config was valid"
        return 78


# -- tests -----------------------------------------------------------------------------------


def test_the_unmutated_sample_is_valid() -> None:
    assert check_document(SAMPLE.encode()) == 0


@FUZZ
@given(mutated_sample())
def test_mutated_sample(doc: Doc) -> None:
    check_document(doc.text.encode(), bad=doc.bad)


@settings(FUZZ, max_examples=40)
@given(damaged_bytes())
def test_garbage_and_truncation(data: bytes) -> None:
    check_document(data)


@settings(FUZZ, max_examples=40)
@given(random_documents)
def test_random_toml_documents(text: str) -> None:
    assert check_document(text.encode()) == 78  # no random document has [account] and [psa]


@pytest.mark.parametrize(
    ("name", "replacement"),
    [(name, choice) for name, (_, choices) in SEMANTIC.items() for choice in choices],
)
def test_every_known_bad_mutation_is_refused(name: str, replacement: str) -> None:
    old = SEMANTIC[name][0]
    assert old in SAMPLE, name
    assert check_document(SAMPLE.replace(old, replacement, 1).encode(), bad=name) == 78


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf",
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-8")[:-1] + b"\xff",
        SAMPLE.replace("Müller", "M\udcfcller", 1).encode("utf-8", "surrogateescape"),
        b"[account\n",
        b'[account]\nname = "x"\n[psa]\nsite = 5\n',
        b"= 1\n",
        tomli_w.dumps({"account": {"name": "x"}, "psa": [date(2026, 1, 1), time(6)]}).encode(),
    ],
    ids=[
        "empty",
        "bom-only",
        "utf-16",
        "trailing-ff",
        "latin-1-byte",
        "open-header",
        "types",
        "no-key",
        "dates",
    ],
)
def test_edge_documents(data: bytes) -> None:
    assert check_document(data) == 78


def test_a_file_that_is_not_utf8_names_a_key(tmp_path: Path) -> None:
    path = tmp_path / "psabill.toml"
    path.write_bytes(b'[account]\nname = "\xff"\n')
    result = cli(path, "config", "validate")
    (problem,) = problem_lines(result, path)
    assert re.fullmatch(rf"{re.escape(str(path))}:2: [^:]+: .+", problem), problem


site_texts = st.one_of(
    st.text(max_size=30),
    st.builds(
        "{}://{}{}{}".format,
        st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
        st.sampled_from(["cw.example.com", "127.0.0.1", "[::1]", "localhost", "", "a b", "[::1"]),
        st.sampled_from(["", ":", ":0", ":443", ":65535", ":65536", ":99999", ":-1", ":x"]),
        st.sampled_from(["", "/", "/path?q=1", "#f"]),
    ),
)


@settings(FUZZ, max_examples=150)
@given(site=site_texts, codebase=st.none() | st.text(max_size=12))
def test_a_psa_section_the_config_accepts_is_one_the_client_accepts(
    site: str, codebase: str | None
) -> None:
    """Otherwise the problem would surface only inside a run (exit 1, a ledger entry)."""
    fields = {"site": site, "company": "c", "public_key": "p", "private_key": "k"}
    try:
        psa = ConnectWisePsa.model_validate({**fields, "client_id": "i", "codebase": codebase})
    except ValidationError:
        return
    parse_site(psa.site)
    if psa.codebase is not None:
        normalise_codebase(psa.codebase)
