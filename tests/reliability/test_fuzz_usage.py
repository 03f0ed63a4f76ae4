"""Usage fuzzing: malformed, huge and mis-encoded exports fail as a whole with a SourceError that
names the file (and the line or record of a bad row), never with another exception; and a failed
source keeps every line it feeds away from the PSA while the other customers still sync.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from psabill.cli import main
from psabill.config.loader import load_config
from psabill.config.source_models import Source
from psabill.core.plan import default_identifier
from psabill.errors import SourceError
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare
from psabill.sources import MAX_QUANTITY, UsageRecord, read_source

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_SOURCE: TypeAdapter[Source] = TypeAdapter(Source)
DECIMAL_SKU = "GB"
CSV_LABEL, JSON_LABEL = "usage/export.csv", "usage/export.json"


def source(kind: str, **fields: object) -> Source:
    path = CSV_LABEL if kind == "csv" else JSON_LABEL
    settings = {"name": "vendor", "kind": kind, "path": path, "date_field": "date"}
    return _SOURCE.validate_python(settings | fields)


def read(src: Source, data: bytes) -> tuple[UsageRecord, ...]:
    """``read_source`` on ``data`` written where ``src`` looks; only SourceError may escape."""
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        file = base / str(src.path)  # type: ignore[union-attr]
        file.parent.mkdir()
        file.write_bytes(data)
        return read_source(src, base_dir=base, env={}, decimal_skus=frozenset({DECIMAL_SKU}))


def outcome(src: Source, data: bytes) -> tuple[UsageRecord, ...] | SourceError:
    try:
        records = read(src, data)
    except SourceError as caught:
        error = caught
    else:
        for record in records:
            assert_valid(record)
        return records
    assert str(src.path) in error.message, error.message  # type: ignore[union-attr]
    assert "\n" not in error.message, error.message
    return error


def assert_valid(record: UsageRecord) -> None:
    quantity = record.quantity
    assert isinstance(quantity, Decimal), record
    assert quantity.is_finite(), record
    assert Decimal(0) <= quantity <= MAX_QUANTITY, record
    assert record.sku == DECIMAL_SKU or quantity == quantity.to_integral_value(), record
    assert record.customer, record
    assert record.customer == record.customer.strip(), record
    assert record.sku, record
    assert record.sku == record.sku.strip(), record


# -- values, good and bad ----------------------------------------------------------------------

whole = st.integers(0, int(MAX_QUANTITY)).flatmap(
    lambda n: st.sampled_from([str(n), f" {n} ", f"+{n}", f"{n}.", f"{n}.000", f"00{n}"])
)
BAD_QUANTITIES = [
    "-1", "-0.5", "1.5", "NaN", "nan", "-NaN", "sNaN", "inf", "Infinity", "-Infinity", "1e400",
    "1E5", "1e-400", "", "  ", "abc", "1,5", "1 000", "0x10", "١٢", "10000001", "1_000", "½",
]  # fmt: skip
BAD_DATES = ["2026-13-01", "2026-02-30", "yesterday", "01/11/2026", "2026-11-01T25:00"]


@dataclass(frozen=True)
class Row:
    customer: str
    sku: str
    quantity: str
    date: str
    bad: bool


@st.composite
def rows(draw: st.DrawFn, count: int) -> list[Row]:
    """``count`` rows with distinct customers; some are bad in exactly one value."""
    made = []
    for index in range(count):
        sku = draw(st.sampled_from(["CIXA", DECIMAL_SKU]))
        quantity = draw(whole)
        date = draw(st.sampled_from(["", "2026-11-01", "2026-11-01T06:00:00Z"]))
        bad = draw(st.integers(0, 9)) == 0
        if bad:
            what = draw(st.sampled_from(["quantity", "date", "customer"]))
            if what == "quantity":
                quantity = draw(st.sampled_from(BAD_QUANTITIES))
                sku = "CIXA"  # "1.5" is only bad for a whole-number SKU
            elif what == "date":
                date = draw(st.sampled_from(BAD_DATES))
        customer = "  " if bad and what == "customer" else f"cust-{index}"
        made.append(Row(customer, sku, quantity, date, bad))
    return made


def render_csv(data: list[Row], delimiter: str, bom: bool, crlf: bool) -> tuple[bytes, list[int]]:
    """The CSV bytes and the line each row starts on."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["customer_id", "name, with delimiter", "sku", "quantity", "date"])
    starts = []
    for row in data:
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow([row.customer, 'Müller;\n Söhne, "GmbH"', row.sku, row.quantity, row.date])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode(), starts


# -- CSV -----------------------------------------------------------------------------------


@FUZZ
@given(
    data=st.integers(0, 12).flatmap(rows),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_csv_with_bad_rows_fails_at_the_first_bad_line(
    data: list[Row], delimiter: str, bom: bool, crlf: bool
) -> None:
    raw, starts = render_csv(data, delimiter, bom, crlf)
    result = outcome(source("csv"), raw)
    bad = [start for row, start in zip(data, starts, strict=True) if row.bad]
    if bad:
        assert isinstance(result, SourceError), data
        assert result.message.startswith(f"{CSV_LABEL}:{bad[0]}: "), (result.message, bad)
    else:
        assert not isinstance(result, SourceError), result
        got = {r.customer: r.quantity for r in result}
        assert got == {row.customer: Decimal(row.quantity.strip()) for row in data}


csv_alphabet = st.sampled_from(list(",;\"'\n\r\t -.+eE0123456789abcü\x00\ufeff"))
csv_header = "customer_id,sku,quantity,date\n"


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(csv_alphabet, max_size=200),
        st.text(max_size=120),
    ),
    with_header=st.booleans(),
)
def test_csv_garbage_is_a_source_error_or_valid_records(
    body: bytes | str, with_header: bool
) -> None:
    data = body.encode() if isinstance(body, str) else body
    if with_header:
        data = csv_header.encode() + data
    result = outcome(source("csv"), data)
    if isinstance(result, SourceError) and "is empty" not in result.message:
        # Every CSV problem but an empty file points at a line.
        assert re.search(rf"{re.escape(CSV_LABEL)}:\d+", result.message), result.message


# -- JSON ----------------------------------------------------------------------------------

HUGE_INT = "1" + "0" * 5000  # more digits than Python converts
GOOD_TOKENS = ["0", "7", "7.0", "12.000", '"7"', '" 7 "', "1e3", "1E+3"]
BAD_TOKENS = [
    "-1", "1.5", "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "null", "true",
    "false", "[]", "{}", '""', '"NaN"', '"1e3"', '"-1"', "10000001", HUGE_INT,
]  # fmt: skip


@FUZZ
@given(
    tokens=st.lists(
        st.tuples(st.sampled_from(GOOD_TOKENS + BAD_TOKENS), st.booleans()), max_size=10
    ),
    wrapped=st.booleans(),
)
def test_json_with_bad_records_fails_at_the_first_bad_record(
    tokens: list[tuple[str, bool]], wrapped: bool
) -> None:
    items = [
        f'{{"customer_id": "c{i}", "sku": "CIXA", "quantity": {token}'
        + (', "date": "2026-11-01"' if dated else ', "date": null')
        + "}"
        for i, (token, dated) in enumerate(tokens)
    ]
    text = "[" + ",\n".join(items) + "]"
    if wrapped:
        text = f'{{"generated": "now", "usage": {text}}}'
    result = outcome(source("json"), text.encode())
    bad = [i for i, (token, _) in enumerate(tokens) if token in BAD_TOKENS]
    if bad:
        assert isinstance(result, SourceError), tokens
        root = "usage" if wrapped else ""
        first = bad[0]
        if any(token == HUGE_INT for token, _ in tokens):  # refused while parsing
            assert result.message.startswith(f"{JSON_LABEL}: not usable JSON"), result.message
        else:
            expected = f"{JSON_LABEL}: {root}[{first}].quantity: "
            assert result.message.startswith(expected), (result.message, expected)
    else:
        assert not isinstance(result, SourceError), result
        assert len(result) == len(tokens)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["customer_id", "sku", "quantity", "usage"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["customer_id", "sku", "quantity", "date", "usage"])
            | st.text(max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@FUZZ
@given(document=json_values, cut=st.none() | st.integers(0, 200))
def test_json_of_any_shape_or_truncated_is_a_source_error_or_valid_records(
    document: object, cut: int | None
) -> None:
    data = json.dumps(document).encode()
    if cut is not None:
        data = data[:cut]
    outcome(source("json"), data)


@FUZZ
@given(data=st.binary(max_size=300))
def test_json_byte_garbage(data: bytes) -> None:
    result = outcome(source("json"), data)
    assert isinstance(result, SourceError) or result == ()  # "[]" is the only valid tiny doc


# -- encodings -----------------------------------------------------------------------------

TEXT = "customer_id,sku,quantity\nmüller-1,CIXA,4\n"


@pytest.mark.parametrize(
    ("data", "where", "what"),
    [
        (TEXT.encode("utf-16"), ":1: ", "is UTF-16, not UTF-8"),
        # Without a BOM a CSV line is refused at its first NUL; a JSON document, which is
        # decoded whole, at its first byte that cannot be UTF-8 (the "ü").
        (TEXT.encode("utf-16-be"), ":(1|2): ", "(NUL byte|is not UTF-8)"),
        (TEXT.encode("utf-16-le"), ":(1|2): ", "(NUL byte|is not UTF-8)"),
        (TEXT.encode("latin-1"), ":2: ", r"is not UTF-8 \(byte 0xFC at column 2\)"),
        (TEXT.encode("cp1252").replace(b"1,", b"\x93x\x94,"), ":2: ", "is not UTF-8"),
        (b"customer_id,sku,quantity\n" + bytes(range(128, 256)), ":2: ", "is not UTF-8"),
    ],
    ids=["utf-16-bom", "utf-16-be", "utf-16-le", "latin-1", "cp1252", "high-bytes"],
)
@pytest.mark.parametrize("kind", ["csv", "json"])
def test_unknown_encodings_name_file_and_line(
    kind: str, data: bytes, where: str, what: str
) -> None:
    result = outcome(source(kind, date_field=None), data)
    assert isinstance(result, SourceError)
    label = CSV_LABEL if kind == "csv" else JSON_LABEL
    assert re.match(re.escape(label) + where, result.message), result.message
    assert re.search(what, result.message), result.message
    assert result.hint
    assert "UTF-8" in result.hint


# -- duplicates ----------------------------------------------------------------------------


def test_duplicate_rows_are_refused_naming_both_lines_or_summed() -> None:
    data = b"customer_id,sku,quantity\na,CIXA,4\nb,CIXA,1\na,CIXA,5\n"
    refused = outcome(source("csv", date_field=None), data)
    assert isinstance(refused, SourceError)
    assert f"{CSV_LABEL}:2 and {CSV_LABEL}:4" in refused.message
    summed = outcome(source("csv", date_field=None, duplicates="sum"), data)
    assert not isinstance(summed, SourceError)
    assert {(r.customer, r.quantity) for r in summed} == {("a", 9), ("b", 1)}
    too_many = f"customer_id,sku,quantity\na,CIXA,{MAX_QUANTITY}\na,CIXA,1\n".encode()
    over = outcome(source("csv", date_field=None, duplicates="sum"), too_many)
    assert isinstance(over, SourceError)
    assert f"({CSV_LABEL}:2, {CSV_LABEL}:3)" in over.message


# -- huge files ----------------------------------------------------------------------------

HUGE = 200_000


def huge_csv(bad_last: bool) -> Iterator[bytes]:
    yield b"customer_id,sku,quantity,date\n"
    for index in range(HUGE):
        quantity = "-3" if bad_last and index == HUGE - 1 else str(index % 500)
        yield f"customer-{index},CIXA,{quantity},2026-11-01\n".encode()


@pytest.mark.slow
@pytest.mark.parametrize("bad_last", [False, True])
def test_a_200k_row_csv_reads_whole_or_names_its_last_line(bad_last: bool) -> None:
    result = outcome(source("csv"), b"".join(huge_csv(bad_last)))
    if bad_last:
        assert isinstance(result, SourceError)
        assert result.message.startswith(f"{CSV_LABEL}:{HUGE + 1}: ")
        assert "is negative" in result.message
    else:
        assert not isinstance(result, SourceError)
        assert len(result) == HUGE
        assert result[-1].location == f"{CSV_LABEL}:{HUGE + 1}"


@pytest.mark.slow
@pytest.mark.parametrize("bad_last", [False, True])
def test_a_200k_record_json_reads_whole_or_names_its_last_record(bad_last: bool) -> None:
    records = [
        {"customer_id": f"customer-{i}", "sku": "CIXA", "quantity": i % 500} for i in range(HUGE)
    ]
    if bad_last:
        records[-1]["quantity"] = "NaN"
    result = outcome(source("json", date_field=None), json.dumps({"usage": records}).encode())
    if bad_last:
        assert isinstance(result, SourceError)
        assert (
            result.message
            == f'{JSON_LABEL}: usage[{HUGE - 1}].quantity: "NaN" is not a finite number'
        )
    else:
        assert not isinstance(result, SourceError)
        assert len(result) == HUGE


@pytest.mark.slow
def test_one_huge_csv_field_is_a_clear_error() -> None:
    data = b"customer_id,sku,quantity\n" + b'"' + b"x" * 1_000_000 + b'",CIXA,1\n'
    result = outcome(source("csv", date_field=None), data)
    assert isinstance(result, SourceError)
    assert result.message.startswith(f"{CSV_LABEL}:2: not valid CSV: field larger than")


# -- bad paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.parametrize("path", ["missing.csv", "~no-such-user-psabill/x", "a\x00b", "."])
def test_unreadable_paths_are_source_errors(tmp_path: Path, kind: str, path: str) -> None:
    src = _SOURCE.validate_python({"name": "v", "kind": kind, "path": path})
    with pytest.raises(SourceError) as caught:
        read_source(src, base_dir=tmp_path, env={})
    assert path.replace("\x00", "\\x00") in caught.value.message


def test_a_command_or_url_that_cannot_be_used_is_a_source_error(tmp_path: Path) -> None:
    for fields in (
        {"kind": "command", "argv": ["ec\x00ho", "x"]},
        {"kind": "command", "argv": ["/bin/echo", "a\x00b"]},
        {"kind": "http", "url": "http://127.0.0.1:99999/usage"},
    ):
        src = _SOURCE.validate_python({"name": "v", **fields})
        with pytest.raises(SourceError, match=r"^(command|http) v: "):
            read_source(src, base_dir=tmp_path, env={})
    # A malformed URL is already a config error; the reader still refuses one set unchecked.
    with pytest.raises(ValueError, match="IPv6"):
        _SOURCE.validate_python({"name": "v", "kind": "http", "url": "http://[::1/usage"})
    valid = _SOURCE.validate_python({"name": "v", "kind": "http", "url": "https://x.example/"})
    broken = valid.model_copy(update={"url": "http://[::1/usage"})
    with pytest.raises(SourceError, match=r"^http v: "):
        read_source(broken, base_dir=tmp_path, env={})


# -- end to end: a failed source writes nothing it feeds -------------------------------------


@dataclass
class Demo:
    sandbox: Sandbox
    setup: DemoSetup


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        setup = prepare(sandbox.site_url, tmp_path / "demo")
        text = setup.config.read_text().replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 3\n", 1)
        setup.config.write_text(text)
        yield Demo(sandbox, setup)


BREAKAGES = {
    "sophos": ("sophos.csv", lambda data: data + b"ff00-late,Late Ltd,CIXA,Intercept X,-4,\n"),
    "lastpass": ("lastpass.json", lambda data: data[: len(data) // 2]),
    "trendmicro": ("trendmicro.csv", lambda data: data.decode().encode("utf-16")),
}


@pytest.mark.slow
@pytest.mark.parametrize("broken", sorted(BREAKAGES))
def test_a_failed_source_writes_none_of_its_lines_and_the_others_sync(
    demo: Demo, broken: str
) -> None:
    name, damage = BREAKAGES[broken]
    usage = demo.setup.directory / "usage" / name
    usage.write_bytes(damage(usage.read_bytes()))
    config = load_config(demo.setup.config, {}).config
    fed = {p.psa_product for p in config.products if p.source == broken}
    fed |= {default_identifier(p.sku) for p in config.products if p.source == broken}
    before = demo.sandbox.store.dump()

    argv = ["--config", str(demo.setup.config), "--state-dir", str(demo.setup.state_dir)]
    result = CliRunner().invoke(main, [*argv, "sync", "--now"])

    assert result.exit_code == 3, result.output
    assert f"usage/{name}" in result.output
    assert "Traceback" not in result.output
    after = demo.sandbox.store.dump()

    def of_fed(dump: dict[str, list[dict[str, object]]]) -> list[dict[str, object]]:
        return [a for a in dump["additions"] if a["product"]["identifier"] in fed]  # type: ignore[index]

    assert of_fed(after) == of_fed(before), "a line of the failed source was written"
    if broken == "sophos":  # its CIXA-XDR line would have created catalog item PSABILL-CIXA-XDR
        assert after["catalog"] == before["catalog"]
    fed_ids = {a["id"] for a in of_fed(before)}
    for request in demo.sandbox.requests():
        if request.method in ("PATCH", "PUT", "DELETE"):
            assert int(request.path.rstrip("/").rsplit("/", 1)[1]) not in fed_ids, request
    others = [a for a in after["additions"] if a["product"]["identifier"] not in fed]
    assert others != [a for a in before["additions"] if a["product"]["identifier"] not in fed]
    history = CliRunner().invoke(main, [*argv, "history", "--json"])
    (run,) = json.loads(history.output)["runs"]
    assert run["outcome"] == "partial"
    assert run["line_counts"]["confirmed"] > 0
