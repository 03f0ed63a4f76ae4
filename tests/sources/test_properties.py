"""Property: whatever valid rows are written as CSV, exactly those quantities come back."""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psabill.errors import SourceError

from .support import make_source, read

# Any text a vendor might put in an id: delimiters, quotes, line breaks, non-ASCII.
ids = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda text: text.strip() != "")
whole = st.integers(0, 400_000).flatmap(
    lambda n: st.sampled_from([str(n), f"{n}.0", f" {n} ", f"+{n}", f"{n}.000"])
)
fraction = st.decimals(0, 400_000, places=2, allow_nan=False, allow_infinity=False).map(str)
rows = st.lists(
    st.tuples(
        st.sampled_from(["acme", "beta", "Müller, Söhne"]) | ids, st.sampled_from(["CIXA", "GB"])
    ).flatmap(
        lambda key: st.tuples(
            st.just(key[0]), st.just(key[1]), fraction if key[1] == "GB" else whole
        )
    ),
    max_size=20,
)


def render(data: list[tuple[str, str, str]], delimiter: str, quoting: int, bom: bool) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting)
    writer.writerow(["Kunde", "Artikel", "Menge"])
    writer.writerows(data)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=rows,
    delimiter=st.sampled_from([",", ";"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    bom=st.booleans(),
    policy=st.sampled_from(["sum", "refuse"]),
)
def test_read_source_returns_exactly_the_written_quantities(
    data: list[tuple[str, str, str]], delimiter: str, quoting: int, bom: bool, policy: str
) -> None:
    source = make_source(
        path="usage.csv",
        customer_field="Kunde",
        sku_field="Artikel",
        quantity_field="Menge",
        date_field=None,
        duplicates=policy,
    )
    expected: dict[tuple[str, str], Decimal] = {}
    for customer, sku, quantity in data:
        key = (customer.strip(), sku)
        expected[key] = expected.get(key, Decimal(0)) + Decimal(quantity.strip())
    repeated = any(n > 1 for n in Counter((c.strip(), s) for c, s, _ in data).values())
    with TemporaryDirectory() as tmp:
        (Path(tmp) / "usage.csv").write_bytes(render(data, delimiter, quoting, bom))
        if policy == "refuse" and repeated:
            with pytest.raises(SourceError, match="appears twice"):
                read(source, Path(tmp), frozenset({"GB"}))
            return
        records = read(source, Path(tmp), frozenset({"GB"}))
    assert {(r.customer, r.sku): r.quantity for r in records} == expected
    assert len(records) == len(expected)
