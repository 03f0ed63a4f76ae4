"""read_all: one failing source never hides the others; the shipped examples parse."""

from __future__ import annotations

from pathlib import Path

from psabill.config.loader import load_config
from psabill.errors import SourceError
from psabill.sources import SourceResult, read_all

from .support import make_source, quantities

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_failing_source_is_reported_and_the_others_still_read(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("customer_id,sku,quantity\nacme,CIXA,4\n")
    (tmp_path / "bad.csv").write_text("customer_id,sku,quantity\nacme,CIXS,4\nbeta,CIXS,-1\n")
    (tmp_path / "good.json").write_text('[{"customer_id": "acme", "sku": "LP", "quantity": 2}]')
    plain = {"customer_field": "customer_id", "sku_field": "sku", "quantity_field": "quantity"}
    sources = [
        make_source(name="good", path="good.csv", date_field=None, **plain),
        make_source(name="bad", path="bad.csv", date_field=None, **plain),
        make_source(name="missing", kind="json", path="missing.json"),
        make_source(name="json", kind="json", path="good.json"),
    ]
    results = read_all(sources, base_dir=tmp_path, env={}, decimal_skus=frozenset())
    assert [result.source for result in results] == ["good", "bad", "missing", "json"]
    good, bad, missing, json_ = results
    assert good.ok
    assert quantities(good.records) == {("acme", "CIXA"): "4"}
    assert json_.ok
    assert quantities(json_.records) == {("acme", "LP"): "2"}
    # No partial reads: the good row of the bad source is not returned.
    assert bad == SourceResult("bad", (), bad.error)
    assert isinstance(bad.error, SourceError)
    assert bad.error.message == 'bad.csv:3: column "quantity": "-1" is negative'
    assert missing.records == ()
    assert missing.error is not None
    assert missing.error.message == "missing.json: no such file"


def test_the_example_usage_files_parse_with_the_example_config() -> None:
    loaded = load_config(EXAMPLES / "psabill.toml", {})
    config = loaded.config
    decimal_skus = frozenset(p.sku for p in config.products if p.decimal_quantities)
    results = read_all(config.sources, base_dir=EXAMPLES, env={}, decimal_skus=decimal_skus)
    assert [(r.source, r.error) for r in results] == [(s.name, None) for s in config.sources]
    for source, result in zip(config.sources, results, strict=True):
        assert result.records, f"example source {source.name} has no usage"
        where = str(getattr(source, "path", ""))
        assert all(r.location.startswith(where) for r in result.records)
        assert all(r.quantity >= 0 and r.customer and r.sku for r in result.records)
    sophos = next(r for r in results if r.source == "sophos")
    assert sophos.records[0].location == "usage/sophos.csv:2"
