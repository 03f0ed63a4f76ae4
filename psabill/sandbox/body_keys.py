"""POST/PUT body keys must name fields exactly: ConnectWise's field names are case-sensitive.

The reference documents case-sensitive PATCH paths (§4.1), which :mod:`.writes` enforces. What
the JSON binder does with ``{"Quantity": 5}`` in a POST is not documented; following "never
kinder than the real API", the sandbox refuses it instead of guessing the field: a key that
is not a field name (exactly), or a key inside a reference object that the reference does not
have (``{"product": {"ID": 1}}``), is ``400 InvalidObject`` with one ``InvalidField`` entry per
key, before anything is validated or stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psabill.sandbox.api_errors import ValidationIssue, invalid_object
from psabill.sandbox.schema import Resource

_ALWAYS = frozenset({"_info"})


def unknown_keys(resource: Resource, body: Mapping[str, Any]) -> list[str]:
    """Paths (``Quantity``, ``product/ID``) of keys of ``body`` that name nothing exactly."""
    names = {field.name: field for field in resource.fields}
    found: list[str] = []
    for key, value in body.items():
        field = names.get(str(key))
        if field is None:
            if key not in _ALWAYS:
                found.append(str(key))
            continue
        if field.ref is not None and isinstance(value, Mapping):
            allowed = {*field.ref.keys, *field.ref.lookup, *_ALWAYS}
            found += [f"{key}/{inner}" for inner in value if inner not in allowed]
    return found


def refuse_unknown_keys(resource: Resource, body: Any) -> None:
    """Raise the 400 for a JSON-object ``body`` with keys that name no field exactly."""
    if not isinstance(body, Mapping):
        return
    issues = [
        ValidationIssue(
            "InvalidField",
            f"{resource.name} has no field '{path}' (field names are case-sensitive).",
            resource.name,
            path,
        )
        for path in unknown_keys(resource, body)
    ]
    if issues:
        raise invalid_object(resource.name, issues)
