"""Edit operations on the managed mappings: map, unmap, settings, contracts, admins.

Each operation changes a :class:`Draft` (the managed file's data, with the
hand-written config beside it for reference) and returns one sentence saying
what changed. Overriding a hand-written entry copies it whole into the managed
data first (the merge's precedence is per entry, see :mod:`psabill.config.merge`);
removing one records its key under ``[[removed.*]]``. Nothing here reads the PSA
or writes files: the store checks the result and writes it, or nothing.
"""

from __future__ import annotations

from typing import Any

from psabill.app.mappings.draft import (
    ANY_SOURCE,
    Draft,
    Entry,
    find_admin,
    find_customer,
    find_product,
    label,
    new_entry,
    product_entries,
    require,
    require_customer,
    require_product,
)
from psabill.errors import UsageError

__all__ = ["Draft", "find_admin", "find_customer", "find_product"]
_SCHEDULE_MODES = ("monthly", "weekly", "daily", "cron")
_CUSTOM_ONLY = ("schedule", "emails", "contract", "contracts")


# -- products --------------------------------------------------------------------------------


def map_product(
    draft: Draft, sku: str, psa_product: str, *, source: str | None, name: str | None
) -> str:
    """Map the entry ``source`` names (without ``--source``: the SKU's only entry), or a new one."""
    found = find_product(draft, sku, source)
    entry = found or new_entry("sku", sku, source)
    if (
        found is not None
        and found.get("psa_product") == psa_product
        and name in (None, found.get("name"))
    ):
        return f"{label(entry)} already bills as PSA product {psa_product!r}; nothing changed"
    entry["psa_product"] = psa_product
    if name is not None:
        entry["name"] = name
    draft.put("products", entry)
    return f"{label(entry)} now bills as PSA product {psa_product!r}"


def unmap_product(draft: Draft, sku: str, *, source: str | None) -> str:
    """Take the PSA product off the entry; an entry left with nothing but its key is removed,
    unless it keeps a source-less mapping from billing its source's usage."""
    entry = require_product(draft, sku, source)
    if entry.pop("psa_product", None) is None:
        return f"{label(entry)} was not mapped; nothing changed"
    shadows = entry.get("source") is not None and any(
        e.get("source") is None and e.get("psa_product") for e in product_entries(draft, sku)
    )
    if set(entry) <= {"sku", "source"} and not shadows:
        draft.drop("products", entry)
        return f"{label(entry)} is unmapped (entry removed): its usage is listed, never billed"
    draft.put("products", entry)
    return f"{label(entry)} is unmapped: its usage is listed, never billed"


def set_product_sync(draft: Draft, sku: str, sync: bool, *, source: str | None) -> str:
    """Switch an existing entry on or off; never adds one (a second entry would change which
    mapping applies to which source)."""
    entry = require_product(draft, sku, source)
    said = f"{label(entry)}: sync {'enabled' if sync else 'disabled'}"
    if entry.get("sync", True) == sync:
        return f"{said} already; nothing changed"
    entry["sync"] = sync
    draft.put("products", entry)
    return said


# -- customers -------------------------------------------------------------------------------


def map_customer(
    draft: Draft, ident: str, psa_company: str, *, source: str | None, name: str | None
) -> str:
    found = find_customer(draft, ident, source)
    entry = found or new_entry("id", *_split_key(draft, ident, source))
    if (
        found is not None
        and found.get("psa_company") == psa_company
        and name in (None, found.get("name"))
    ):
        who = label(entry, "id")
        return f"customer {who} already bills to PSA company {psa_company!r}; nothing changed"
    entry["psa_company"] = psa_company
    if name is not None:
        entry["name"] = name
    draft.put("customers", entry)
    return f"customer {label(entry, 'id')} now bills to PSA company {psa_company!r}"


def _split_key(draft: Draft, ident: str, source: str | None) -> tuple[str, str | None]:
    """A new entry named by its ``source:id`` key (as ``customers list`` shows it) gets that
    source and id, not an id with a colon in it."""
    prefix, colon, rest = ident.partition(":")
    names = {s.get("name") for s in draft.config.get("sources", []) or []}
    if colon and rest and source is None and prefix in names:
        return rest, prefix
    return ident, source


def unmap_customer(draft: Draft, ident: str, *, source: str | None) -> str:
    entry = require_customer(draft, ident, source)
    draft.drop("customers", entry)
    who = f"customer {label(entry, 'id')}"
    generic = find_customer(draft, str(entry["id"]), ANY_SOURCE) if entry.get("source") else None
    if generic is not None:
        return (
            f"{who} is unmapped: its usage now bills to PSA company "
            f"{generic.get('psa_company')!r} through the entry without a source"
        )
    return f"{who} is unmapped: its usage is listed, never billed"


def customer_settings(
    draft: Draft,
    ident: str,
    mode: str,
    *,
    source: str | None,
    schedule: Entry | None = None,
    emails: list[str] | None = None,
) -> str:
    """``global`` drops every custom setting (and says which); ``custom`` keeps them."""
    entry = require_customer(draft, ident, source)
    if mode == "global":
        if schedule is not None or emails is not None:
            raise UsageError("--schedule and --emails need custom settings, not global")
        dropped = [name for name in _CUSTOM_ONLY if entry.pop(name, None)]
        entry["settings"] = "global"
        draft.put("customers", entry)
        note = f"; dropped its own {', '.join(dropped)}" if dropped else ""
        return f"customer {label(entry, 'id')} uses the global settings{note}"
    entry["settings"] = "custom"
    if schedule is not None:
        entry["schedule"] = schedule
    if emails is not None:
        entry["emails"] = emails
    draft.put("customers", entry)
    return f"customer {label(entry, 'id')} uses custom settings"


def parse_schedule(text: str) -> Entry:
    """``"monthly day=31 hour=7"``, ``"weekly weekday=monday"``, ``"daily hour=6"``,
    ``"cron 0 6 * * 1-5"`` -> a ``schedule`` table (the loader checks the values)."""
    mode, _, rest = text.strip().partition(" ")
    if mode not in _SCHEDULE_MODES:
        raise UsageError(
            f"--schedule must start with one of {', '.join(_SCHEDULE_MODES)}, got {mode!r}",
            hint='e.g. --schedule "monthly day=31 hour=7" or --schedule "cron 0 6 * * 1-5"',
        )
    if mode == "cron":
        return {"mode": "cron", "cron": rest.strip()}
    table: Entry = {"mode": mode}
    for item in rest.split():
        key, sep, value = item.partition("=")
        if not sep or key not in ("day", "weekday", "hour", "catch_up", "enabled"):
            raise UsageError(
                f"--schedule: {item!r} is not one of day=, weekday=, hour=, catch_up=, enabled="
            )
        table[key] = _scalar(value)
    return table


def _scalar(value: str) -> Any:
    if value.isdigit():
        return int(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


# -- contracts -------------------------------------------------------------------------------


def assign_contract(
    draft: Draft,
    ident: str,
    product: str | None,
    agreement_type: str,
    agreement_name: str | None,
    *,
    source: str | None,
) -> str:
    """Per-product assignment, or the customer's default without ``product``."""
    entry = require_customer(draft, ident, source)
    contract: Entry = {"agreement_type": agreement_type}
    if agreement_name is not None:
        contract["agreement_name"] = agreement_name
    switched = entry.get("settings", "global") != "custom"
    entry["settings"] = "custom"
    if product is None:
        entry["contract"] = contract
    else:
        others = [c for c in entry.get("contracts", []) if c.get("product") != product]
        entry["contracts"] = [*others, {"product": product, **contract}]
    draft.put("customers", entry)
    what = f"{product} for {label(entry, 'id')}" if product else f"{label(entry, 'id')} default"
    name = f' "{agreement_name}"' if agreement_name else ""
    note = " (now on custom settings; its schedule stays the global one)" if switched else ""
    return f'{what}: agreement type "{agreement_type}"{name}{note}'


def unassign_contract(draft: Draft, ident: str, product: str | None, *, source: str | None) -> str:
    entry = require_customer(draft, ident, source)
    who = label(entry, "id")
    if product is None:
        if entry.pop("contract", None) is None:
            raise UsageError(
                f"customer {who} has no default contract", hint="see `psabill contracts list`"
            )
    else:
        contracts = entry.get("contracts", [])
        kept = [c for c in contracts if c.get("product") != product]
        if len(kept) == len(contracts):
            raise UsageError(f"customer {who} has no contract for {product}")
        entry["contracts"] = kept
    draft.put("customers", entry)
    return f"{product + ' for ' if product else ''}{who}: contract unassigned"


# -- billing admins --------------------------------------------------------------------------


def add_admin(draft: Draft, email: str, *, name: str | None, view: bool, pay: bool) -> str:
    if find_admin(draft, email) is not None:
        raise UsageError(f"{email} is already a billing admin", hint="change it with `admins edit`")
    _pay_needs_view(view, pay)
    entry: Entry = {"email": email, "name": name, "view_invoices": view, "pay_invoices": pay}
    if name is None:
        del entry["name"]
    draft.put("billing_admins", entry)
    return f"{email} is a billing admin ({_rights(entry)})"


def edit_admin(
    draft: Draft, email: str, *, name: str | None, view: bool | None, pay: bool | None
) -> str:
    entry = require(find_admin(draft, email), email, "admins list")
    if name is not None:
        entry["name"] = name
    if view is not None:
        entry["view_invoices"] = view
    if pay is not None:
        entry["pay_invoices"] = pay
    _pay_needs_view(entry.get("view_invoices", True), entry.get("pay_invoices", False))
    draft.put("billing_admins", entry)
    return f"{entry['email']}: {_rights(entry)}"


def remove_admin(draft: Draft, email: str) -> str:
    entry = require(find_admin(draft, email), email, "admins list")
    draft.drop("billing_admins", entry)
    return f"{entry['email']} is no longer a billing admin"


def _pay_needs_view(view: bool, pay: bool) -> None:
    if pay and not view:
        raise UsageError(
            "pay requires view: an admin who approves pushes must be able to view invoices",
            hint="add --view (or drop --pay)",
        )


def _rights(entry: Entry) -> str:
    view, pay = entry.get("view_invoices", True), entry.get("pay_invoices", False)
    return "view and pay" if pay else ("view" if view else "no invoice rights")
