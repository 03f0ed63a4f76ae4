"""Would a configuration bill one addition twice? Checked before any mapping edit is written.

The sync refuses two plan lines that bill one (agreement, PSA product)
(:func:`psabill.core.plan_build._one_line_per_addition`), but only once both lines speak: when
one of two vendor accounts of a company has no usage of a product yet, the first sync passes
and a later one fails. This module finds such pairs from the configuration alone, with the
rules the sync uses - :class:`~psabill.core.mapping.MappingIndex` for which products may bill
which customer (:func:`~psabill.core.mapping.most_specific`), and
:func:`~psabill.core.contracts.contract_for` for the agreement - so an edit that adds one is
refused while the user is still at the keyboard. Two lines whose contracts are the same land
on the same agreement, whatever the PSA holds; lines under different contracts are not
reported (the PSA decides whether those meet).
"""

from __future__ import annotations

from dataclasses import dataclass

from psabill.config.models import Config, Product
from psabill.core.contracts import contract_for
from psabill.core.mapping import MappingIndex, customer_key


@dataclass(frozen=True, order=True)
class Clash:
    """Lines that would bill one addition: same PSA company, contract and PSA product."""

    company: str
    contract: str
    psa_product: str
    lines: tuple[tuple[str, str], ...]
    """(customer key, product entry) of each line, sorted."""

    def sentence(self) -> str:
        who = " and ".join(f"{customer} ({product})" for customer, product in self.lines)
        return (
            f"{who} would bill {self.psa_product} on one {self.company} agreement "
            f"({self.contract}), and psabill bills one addition once"
        )


def clashes(config: Config) -> frozenset[Clash]:
    """Every group of two or more synced lines that would bill one addition."""
    index = MappingIndex(config)
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    names: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    for customer in config.customers:
        if not customer.sync:
            continue
        for product in index.products_for(customer):
            contract = contract_for(config, customer, product.sku)
            if contract is None or product.psa_product is None:
                continue  # no agreement to meet on: the sync reports that line on its own
            described = f'agreement type "{contract.agreement_type}"' + (
                f', name "{contract.agreement_name}"' if contract.agreement_name else ""
            )
            shown = (customer.psa_company, described, product.psa_product)
            key = (shown[0].casefold(), described.casefold(), shown[2].casefold())
            groups.setdefault(key, []).append((customer_key(customer), _entry(product)))
            names.setdefault(key, shown)
    return frozenset(
        Clash(*names[key], tuple(sorted(lines))) for key, lines in groups.items() if len(lines) > 1
    )


def _entry(product: Product) -> str:
    return f"{product.sku}, {'source ' + product.source if product.source else 'any source'}"


def added(before: frozenset[Clash] | None, after: frozenset[Clash]) -> list[Clash]:
    """The clashes ``after`` has that ``before`` had not (``before`` None: it did not load)."""
    return sorted(after - (before or frozenset()))
