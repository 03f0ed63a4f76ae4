"""Mapping precedence: a mapping scoped to a source beats a generic one, in one function."""

from __future__ import annotations

from typing import Any

import pytest

from psabill.config.models import Config, Product
from psabill.core.mapping import find_customer, find_product, most_specific, products_for


def config(products: list[dict[str, Any]], customers: list[dict[str, Any]]) -> Config:
    return Config.model_validate(
        {
            "account": {"name": "MSP"},
            "psa": {
                "site": "http://127.0.0.1:1",
                "company": "c",
                "public_key": "p",
                "private_key": "k",
                "client_id": "i",
            },
            "sources": [
                {"name": "s", "kind": "csv", "path": "s.csv"},
                {"name": "t", "kind": "csv", "path": "t.csv"},
            ],
            "products": products,
            "customers": customers,
        }
    )


ANY = Product(sku="A", psa_product="CAT-ANY")
FROM_S = Product(sku="A", source="s", psa_product="CAT-S")
FROM_T = Product(sku="A", source="t", psa_product="CAT-T")


@pytest.mark.parametrize(
    ("candidates", "source", "expected"),
    [
        ([], "s", None),
        ([ANY], "s", ANY),  # a generic mapping applies to every source
        ([ANY, FROM_S], "s", FROM_S),  # the specific one beats it...
        ([FROM_S, ANY], "s", FROM_S),  # ...wherever it is in the file
        ([FROM_T], "s", None),  # a mapping scoped to another source never applies
        ([FROM_T, ANY], "s", ANY),
        ([ANY, FROM_S], None, FROM_S),  # no source: any scoped one applies, and still wins
        ([FROM_S, FROM_T], None, FROM_T),  # two scoped ones: the later wins the tie
    ],
)
def test_the_most_specific_mapping_applies(
    candidates: list[Product], source: str | None, expected: Product | None
) -> None:
    assert most_specific(candidates, source) == expected


def test_lookups_by_vendor_id_and_sku_use_the_same_precedence() -> None:
    cfg = config(
        [{"sku": "A"}, {"sku": "A", "source": "t"}, {"sku": "B", "source": "t"}],
        [{"id": "c1", "psa_company": "ANY"}, {"id": "c1", "source": "t", "psa_company": "T"}],
    )
    assert find_product(cfg, "t", "A") == cfg.products[1]
    assert find_product(cfg, "s", "A") == cfg.products[0]
    assert find_product(cfg, "s", "B") is None
    assert find_customer(cfg, "t", "c1") == cfg.customers[1]
    assert find_customer(cfg, "s", "c1") == cfg.customers[0]
    assert find_customer(cfg, "s", "c2") is None


def test_products_for_a_customer_are_one_per_sku_among_mapped_synced_ones() -> None:
    cfg = config(
        [
            {"sku": "B", "psa_product": "CAT-B"},
            {"sku": "A", "psa_product": "CAT-ANY"},
            {"sku": "A", "source": "s", "psa_product": "CAT-S"},
            {"sku": "C", "source": "t", "psa_product": "CAT-C"},
            {"sku": "D", "psa_product": "CAT-D", "sync": False},
            {"sku": "E"},
        ],
        [{"id": "c1", "source": "s", "psa_company": "S"}, {"id": "c2", "psa_company": "ANY"}],
    )
    from_s, anywhere = cfg.customers
    assert [(p.sku, p.psa_product) for p in products_for(cfg, from_s)] == [
        ("A", "CAT-S"),
        ("B", "CAT-B"),
    ]
    assert [(p.sku, p.psa_product) for p in products_for(cfg, anywhere)] == [
        ("A", "CAT-S"),
        ("B", "CAT-B"),
        ("C", "CAT-C"),
    ]
