"""The ConnectWise security role settings psabill needs, worded once for every message.

A 403 never says which right is missing (``{"code": "Security", "message": "You do not have
security permission to perform this action."}``), so psabill names it itself: ``psabill doctor``
(:mod:`.access`) when a probe is refused, a sync (:mod:`.answers`) when a request is. Both take
the words from here, so a user reads the same setting and the same fix either way, as
ConnectWise's security role screen shows them: a module function, an action and its level, e.g.
"Finance > Agreements: Edit Level", which must be set to All.

No imports from this package: :mod:`.answers` and :mod:`.access` both import this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

COMPANIES = "Companies > Company Maintenance"
AGREEMENTS = "Finance > Agreements"
CATALOG = "Procurement > Product Catalog"
INVOICING = "Finance > Invoicing"
ROLE_SCREEN = "System > Security Roles > the API member's role"

# endpoint prefix (relative to apis/3.0) -> the module function that guards it; first match wins
_MODULE_OF_ENDPOINT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"finance/agreements"), AGREEMENTS),  # agreements and their additions
    (re.compile(r"company/"), COMPANIES),
    (re.compile(r"procurement/"), CATALOG),
    (re.compile(r"finance/invoices"), INVOICING),
)
_ACTION_OF_METHOD: Mapping[str, str] = {
    "GET": "Inquire",
    "HEAD": "Inquire",
    "POST": "Add",
    "PUT": "Edit",
    "PATCH": "Edit",
    "DELETE": "Delete",
}


def level(module: str, action: str) -> str:
    """The setting for ``action`` in ``module``, e.g. "Finance > Agreements: Edit Level"."""
    return f"{module}: {action} Level"


def setting_for(method: str, endpoint: str) -> str | None:
    """The setting a request ``method endpoint`` needs; ``None`` when psabill does not know it."""
    action = _ACTION_OF_METHOD.get(method.upper())
    for pattern, module in _MODULE_OF_ENDPOINT:
        if action is not None and pattern.match(endpoint):
            return level(module, action)
    return None


def fix(setting: str) -> str:
    """What to change in ConnectWise so that a request needing ``setting`` is allowed."""
    return f"in ConnectWise, {ROLE_SCREEN}: set {setting} to All"
