"""What each PSA calls the things psabill bills through, for messages a user reads.

psabill's own model speaks ConnectWise (company, agreement, addition, catalog item); an
Autotask or HaloPSA user looks for the same thing under another name, so a hint that says
"agreement" sends them looking for a screen their PSA does not have. Every user-facing text
that names one of these concepts takes its words from here, by ``[psa] kind``; code, JSON
keys and the ledger keep psabill's own names.
"""

from __future__ import annotations

from dataclasses import dataclass

from psabill.config.psa_models import PSA_NAMES


@dataclass(frozen=True)
class PsaWords:
    """One PSA's words; each noun in the singular, with its plural beside it."""

    kind: str
    name: str
    """The product's name: "ConnectWise", "Autotask", "HaloPSA"."""
    company: str
    companies: str
    agreement: str
    agreements: str
    agreement_type: str
    """What ``agreement_type`` matches: ConnectWise's agreement type, Autotask's contract
    category, the recurring invoice type HaloPSA's adapter reads."""
    catalog_item: str
    catalog_items: str
    addition: str
    additions: str
    company_gone: str
    """What a company flagged ``deleted`` is in this PSA."""
    company_id_hint: str
    """How a user finds the value ``psa_company`` wants."""
    catalog_hint: str
    """Where in the PSA its products live."""

    @property
    def companies_by_id(self) -> bool:
        """Whether ``psa_company`` is the company's record id (Autotask, HaloPSA) rather than
        an identifier a person chose (ConnectWise's Company ID)."""
        return self.kind != "connectwise"

    @property
    def creates_catalog_items(self) -> bool:
        """Whether psabill may add to the catalog (``products create``, ``create_default``):
        not in Autotask, where a service's allocation code is the MSP's accounting choice."""
        return self.kind != "autotask"


_WORDS = {
    "connectwise": PsaWords(
        kind="connectwise",
        name=PSA_NAMES["connectwise"],
        company="company",
        companies="companies",
        agreement="agreement",
        agreements="agreements",
        agreement_type="agreement type",
        catalog_item="catalog item",
        catalog_items="catalog items",
        addition="addition",
        additions="additions",
        company_gone="deleted (in the recycle bin)",
        company_id_hint="use the company's Company ID as shown in ConnectWise (Companies > "
        "Company), or find it with `psabill customers search TEXT`",
        catalog_hint="ConnectWise's product catalog (Procurement > Product Catalog)",
    ),
    "autotask": PsaWords(
        kind="autotask",
        name=PSA_NAMES["autotask"],
        company="company",
        companies="companies",
        agreement="contract",
        agreements="contracts",
        agreement_type="contract category",
        catalog_item="service",
        catalog_items="services",
        addition="contract service",
        additions="contract services",
        company_gone="inactive",
        company_id_hint="use the company's id (`psabill customers map` takes its exact name "
        "and writes the id; `psabill customers search TEXT` lists both)",
        catalog_hint="Autotask's services (Admin > Products and Services > Services)",
    ),
    "halopsa": PsaWords(
        kind="halopsa",
        name=PSA_NAMES["halopsa"],
        company="client",
        companies="clients",
        agreement="recurring invoice",
        agreements="recurring invoices",
        agreement_type="recurring invoice type",
        catalog_item="item",
        catalog_items="items",
        addition="recurring invoice line",
        additions="recurring invoice lines",
        company_gone="inactive",
        company_id_hint="use the client's id (`psabill customers map` takes its exact name "
        "and writes the id; `psabill customers search TEXT` lists both)",
        catalog_hint="HaloPSA's items (Items in the main menu)",
    ),
}


def words(kind: str) -> PsaWords:
    """The words of the PSA of kind ``kind`` (``[psa] kind``, already validated)."""
    try:
        return _WORDS[kind]
    except KeyError:
        raise ValueError(f"no PSA of kind {kind!r}") from None
