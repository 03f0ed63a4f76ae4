"""Security roles: what each API member may do, and the 403 for what it may not.

In ConnectWise an API member has one security role (System > Security Roles). A role sets, per
*module function* such as "Finance > Agreements", an **Add**, **Edit**, **Delete** and
**Inquire Level** (``All``, ``Mine`` or ``None``). The sandbox models the four functions psabill
touches; a level grants the action only when it is ``All`` (``Mine`` means "records this member
owns", and an integration owns none, so it grants nothing here):

=======================================  ============================================
Companies > Company Maintenance          ``company/companies``
Finance > Agreements                     ``finance/agreements``, with their additions
Procurement > Product Catalog            ``procurement/catalog``
Finance > Invoicing                      ``finance/invoices``
=======================================  ============================================

GET (lists, ``/count`` and single records) needs Inquire, POST Add, PUT and PATCH Edit, DELETE
Delete. The role is checked **before** the body is read or the record looked up, so a member
without the right gets 403 even for an invalid body or a missing id.

A refusal is the body ConnectWise sends (reference §5.1/§5.2, the same as the 403 fault):
``403 {"code": "Security", "message": "You do not have security permission to perform this
action.", "errors": null}``. It never names the missing setting: the real one does not either,
so a client has to know which setting its request needed.

Setup tables (agreement types, product types, subcategories) and ``system/info`` are open to
every member: which "System > Table Setup" rights they need is not documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from psabill.sandbox.api_errors import ApiError
from psabill.sandbox.auth import DEMO_CREDENTIALS, SandboxCredentials
from psabill.sandbox.schema import Table

Action = Literal["Add", "Edit", "Delete", "Inquire"]
Level = Literal["All", "Mine", "None"]
ACTIONS: tuple[Action, ...] = ("Add", "Edit", "Delete", "Inquire")
SECURITY_MESSAGE = "You do not have security permission to perform this action."


@dataclass(frozen=True)
class SecurityModule:
    """One module function of a security role, e.g. Finance > Agreements."""

    module: str
    function: str

    @property
    def label(self) -> str:
        return f"{self.module} > {self.function}"


COMPANY_MAINTENANCE = SecurityModule("Companies", "Company Maintenance")
AGREEMENTS = SecurityModule("Finance", "Agreements")
INVOICING = SecurityModule("Finance", "Invoicing")
PRODUCT_CATALOG = SecurityModule("Procurement", "Product Catalog")
MODULES: tuple[SecurityModule, ...] = (
    COMPANY_MAINTENANCE,
    AGREEMENTS,
    INVOICING,
    PRODUCT_CATALOG,
)
MODULE_OF_TABLE: Mapping[Table, SecurityModule] = {
    "companies": COMPANY_MAINTENANCE,
    "agreements": AGREEMENTS,
    "additions": AGREEMENTS,
    "catalog": PRODUCT_CATALOG,
    "invoices": INVOICING,
}
ACTION_OF_METHOD: Mapping[str, Action] = {
    "GET": "Inquire",
    "HEAD": "Inquire",
    "POST": "Add",
    "PUT": "Edit",
    "PATCH": "Edit",
    "DELETE": "Delete",
}
Permission = tuple[SecurityModule, Action]


@dataclass(frozen=True)
class SecurityRole:
    """A role: the level of each (module function, action); anything unset is ``None``."""

    name: str
    levels: Mapping[Permission, Level] = field(default_factory=dict)

    @classmethod
    def full(cls, name: str) -> SecurityRole:
        return cls(name, {(module, action): "All" for module in MODULES for action in ACTIONS})

    def allows(self, module: SecurityModule, action: Action) -> bool:
        return self.levels.get((module, action), "None") == "All"

    def without(self, name: str, *permissions: Permission) -> SecurityRole:
        """This role under a new name, with ``permissions`` set to ``None``."""
        levels: dict[Permission, Level] = dict(self.levels)
        levels.update(dict.fromkeys(permissions, "None"))
        return replace(self, name=name, levels=levels)

    def missing(self) -> tuple[str, ...]:
        """Settings this role lacks, as "Finance > Agreements: Edit Level" (for people)."""
        return tuple(
            f"{module.label}: {action} Level"
            for module in MODULES
            for action in ACTIONS
            if not self.allows(module, action)
        )


@dataclass(frozen=True)
class ApiMember:
    """An API member (System > Members > API Members): its keys and its security role."""

    identifier: str
    credentials: SandboxCredentials
    role: SecurityRole


ADMIN = SecurityRole.full("Admin")
INQUIRE_ONLY = SecurityRole("Inquire Only", {(module, "Inquire"): "All" for module in MODULES})
PARTIAL_ROLES: Mapping[str, SecurityRole] = {
    "readonly": INQUIRE_ONLY,
    "no-company-inquire": ADMIN.without("No Company Inquire", (COMPANY_MAINTENANCE, "Inquire")),
    "no-agreement-inquire": ADMIN.without("No Agreement Inquire", (AGREEMENTS, "Inquire")),
    "no-agreement-add": ADMIN.without("No Agreement Add", (AGREEMENTS, "Add")),
    "no-agreement-edit": ADMIN.without("No Agreement Edit", (AGREEMENTS, "Edit")),
    "no-catalog-inquire": ADMIN.without("No Catalog Inquire", (PRODUCT_CATALOG, "Inquire")),
    "no-catalog-add": ADMIN.without("No Catalog Add", (PRODUCT_CATALOG, "Add")),
    "no-invoice-inquire": ADMIN.without("No Invoice Inquire", (INVOICING, "Inquire")),
}
"""The seeded API members with partial roles, by name; each has its own key pair."""
DEMO_MEMBER = "psabill-api"


def member_credentials(
    name: str, base: SandboxCredentials = DEMO_CREDENTIALS
) -> SandboxCredentials:
    """The keys of the seeded member ``name`` (company and client id are ``base``'s).

    ``DEMO_MEMBER`` is ``base`` itself; a :data:`PARTIAL_ROLES` name gets
    ``sandbox-public-<name>`` / ``sandbox-private-<name>``.
    """
    if name == DEMO_MEMBER:
        return base
    if name not in PARTIAL_ROLES:
        known = ", ".join([DEMO_MEMBER, *PARTIAL_ROLES])
        raise KeyError(f"no API member {name!r}; the sandbox has {known}")
    return replace(base, public_key=f"sandbox-public-{name}", private_key=f"sandbox-private-{name}")


def seed_members(base: SandboxCredentials = DEMO_CREDENTIALS) -> tuple[ApiMember, ...]:
    """The API members a sandbox accepts: ``base`` with full rights, then the partial roles."""
    members = [ApiMember(DEMO_MEMBER, base, ADMIN)]
    members += [
        ApiMember(name, member_credentials(name, base), role)
        for name, role in PARTIAL_ROLES.items()
    ]
    return tuple(members)


def require(member: ApiMember, table: Table | None, method: str) -> None:
    """Return if ``member`` may ``method`` on ``table``; else ConnectWise's 403."""
    module = MODULE_OF_TABLE.get(table) if table is not None else None
    action = ACTION_OF_METHOD.get(method.upper())
    if module is None or action is None or member.role.allows(module, action):
        return
    raise ApiError(403, "Security", SECURITY_MESSAGE)
