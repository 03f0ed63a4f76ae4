"""A generated MSP for property tests and benchmarks: N customers x P products.

``seed_large`` fills the sandbox; ``write_world_config`` writes a matching
psabill config and ``write_usage`` the usage file it reads, so a test or a
benchmark can run real syncs over loopback HTTP against any size of data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from psabill.sandbox.auth import DEMO_CREDENTIALS

if TYPE_CHECKING:
    from psabill.sandbox.kinds import Identifiers

USAGE_FILE = "usage.json"


def customer_id(number: int) -> str:
    return f"C{number:05d}"


def product_sku(number: int) -> str:
    return f"VENDOR-SKU-{number:04d}"


def write_world_config(
    directory: Path,
    site_url: str,
    *,
    customers: int,
    products: int,
    on_usage_gone: Mapping[str, str] | None = None,
    extra_psa: str = "",
    psa: Mapping[str, Any] | None = None,
    names: Identifiers | None = None,
) -> Path:
    """Write ``psabill.toml`` mapping every generated customer and product; return its path.

    ``psa`` (:func:`~psabill.sandbox.kinds.psa_section` of an Autotask or HaloPSA sandbox)
    replaces the ConnectWise ``[psa]`` table at ``site_url``, and ``names`` (that sandbox's
    :func:`~psabill.sandbox.kinds.identifiers`) puts each ``psa_company`` and ``psa_product``
    in its terms, so one generated world runs on every PSA."""
    policies = on_usage_gone or {}
    creds = DEMO_CREDENTIALS
    section = (
        tomli_w.dumps({key: value for key, value in psa.items() if key != "rate_limit"})
        if psa is not None
        else f'site = "{site_url}"\ncompany = "{creds.company}"\n'
        f'public_key = "{creds.public_key}"\nprivate_key = "{creds.private_key}"\n'
        f'client_id = "{creds.client_id}"\n'
    )
    lines = [
        '[account]\nname = "World MSP"\ntimezone = "UTC"\n',
        '[sync]\nagreement_type = "Managed Services"\n',
        f'[psa]\n{section}rate_limit = "none"\n{extra_psa}',
        f'[[sources]]\nname = "world"\nkind = "json"\npath = "{USAGE_FILE}"\n'
        'customer_field = "customer"\nsku_field = "sku"\nquantity_field = "quantity"\n',
    ]
    for number in range(1, products + 1):
        sku = product_sku(number)
        policy = policies.get(sku, "keep")
        product = names.catalog(sku) if names is not None else sku
        lines.append(
            f'[[products]]\nsku = "{sku}"\npsa_product = "{product}"\non_usage_gone = "{policy}"\n'
        )
    for number in range(1, customers + 1):
        ident = customer_id(number)
        company = names.company(ident) if names is not None else ident
        lines.append(f'[[customers]]\nid = "{ident}"\npsa_company = "{company}"\n')
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "psabill.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(config, 0o600)
    write_usage(directory, {})
    return config


def write_usage(directory: Path, usage: Mapping[tuple[str, str], int]) -> None:
    """Write the usage file: one record per (customer id, SKU) -> seats."""
    records = [
        {"customer": customer, "sku": sku, "quantity": quantity}
        for (customer, sku), quantity in sorted(usage.items())
    ]
    (directory / USAGE_FILE).write_text(json.dumps(records), encoding="utf-8")
