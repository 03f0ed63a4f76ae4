"""Turning POST/PUT bodies and PATCH operation lists into stored rows, with real validation.

Both paths collect *every* problem before answering, as ConnectWise does, and answer
``400 InvalidObject`` with one ``errors[]`` entry per field (reference §5.1).

* POST and PUT (:func:`build`): body keys match field names case-insensitively (the real
  JSON binder is lenient about case); unknown and server-owned keys are ignored; a field left out
  gets its default or null — which is exactly why PUT is dangerous (reference §4.2).
* PATCH (:func:`patch`): a JSON array of ``{"op", "path", "value"}``. ``op`` is ``add``,
  ``replace`` or ``remove``; ``path`` is the case-sensitive field name, a single leading ``/`` is
  tolerated. A nested path such as ``company/identifier`` is accepted and *ignored*, reproducing
  the documented "false 200" (reference §4.1). Unknown or server-owned paths are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from psabill.sandbox.api_errors import ApiError, ValidationIssue, invalid_object
from psabill.sandbox.schema import Field, FieldProblem, Ref, Resource, coerce, json_copy

Resolver = Callable[[Ref, str, Any], int | None]
"""``(ref, key, value) -> id``: find the row of ``ref.table`` whose ``key`` equals ``value``."""

PATCH_OPS = ("add", "replace", "remove")
_PATCH_EXAMPLE = '[{"op": "replace", "path": "quantity", "value": 5}]'


def build(resource: Resource, body: Any, resolve: Resolver) -> dict[str, Any]:
    """A complete row (without ``id``/``_info``) from a POST or PUT body."""
    if not isinstance(body, Mapping):
        message = f"{resource.name} object is invalid: expected a JSON object"
        raise ApiError(400, "InvalidObject", message)
    folded = {str(key).casefold(): value for key, value in body.items()}
    record: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    for field in resource.fields:
        if not field.writable:
            continue
        try:
            record[field.name] = _value(field, folded.get(field.name.casefold()), resolve)
        except FieldProblem as problem:
            issues.append(_issue(resource, field, problem))
    issues += missing_required(resource, record, already={i.field for i in issues})
    if issues:
        raise invalid_object(resource.name, issues)
    return record


def patch(
    resource: Resource, current: Mapping[str, Any], operations: Any, resolve: Resolver
) -> dict[str, Any]:
    """``current`` with the operations applied; the result is re-validated as a whole."""
    if not isinstance(operations, list):
        message = f"PATCH expects a JSON array of operations like {_PATCH_EXAMPLE}"
        raise ApiError(400, "InvalidObject", message)
    record: dict[str, Any] = json_copy(dict(current))
    issues: list[ValidationIssue] = []
    for index, operation in enumerate(operations):
        try:
            applied = _operation(resource, operation, resolve)
        except FieldProblem as problem:
            field = problem.subfield or f"[{index}]"
            issues.append(ValidationIssue(problem.code, problem.message, resource.name, field))
            continue
        if applied is not None:
            record[applied[0]] = applied[1]
    issues += missing_required(resource, record, already={i.field for i in issues})
    if issues:
        raise invalid_object(resource.name, issues)
    return record


def missing_required(
    resource: Resource, record: Mapping[str, Any], *, already: Collection[str] = ()
) -> list[ValidationIssue]:
    """A ``MissingRequiredField`` issue per required field that is null and not already reported."""
    return [
        ValidationIssue(
            "MissingRequiredField", f"{field.name} is required.", resource.name, field.name
        )
        for field in resource.fields
        if field.required and record.get(field.name) is None and not _mentioned(field, already)
    ]


def _mentioned(field: Field, names: Collection[str]) -> bool:
    return any(name == field.name or name.startswith(field.name + "/") for name in names)


def _operation(resource: Resource, operation: Any, resolve: Resolver) -> tuple[str, Any] | None:
    """``(field, new value)`` for one PATCH operation, ``None`` when it is silently ignored.

    Problems are raised as :class:`FieldProblem` whose ``subfield`` carries the full field name.
    """
    if not isinstance(operation, Mapping):
        raise FieldProblem("InvalidField", "Each PATCH operation must be an object.")
    op, path = operation.get("op"), operation.get("path")
    if not isinstance(op, str) or op.lower() not in PATCH_OPS:
        raise FieldProblem("InvalidField", f"op must be one of: {', '.join(PATCH_OPS)}.")
    if not isinstance(path, str) or not path.strip("/"):
        raise FieldProblem("InvalidField", 'path must name a field, e.g. "quantity".')
    name = path[1:] if path.startswith("/") else path
    if "/" in name:
        return None  # the real API answers 200 and changes nothing (reference §4.1)
    field = resource.field(name)
    if field is None:
        message = f"{resource.name} has no field '{name}' (paths are case-sensitive)."
        raise FieldProblem("InvalidField", message, name)
    if not field.writable:
        raise FieldProblem("InvalidField", f"The field {name} is read-only.", name)
    value = None if op.lower() == "remove" else operation.get("value")
    try:
        return field.name, _value(field, value, resolve)
    except FieldProblem as problem:
        raise FieldProblem(problem.code, problem.message, _field_name(field, problem)) from None


def _value(field: Field, value: Any, resolve: Resolver) -> Any:
    if value is None:
        return json_copy(field.default)
    if field.kind != "ref":
        return coerce(field, value)
    assert field.ref is not None
    if not isinstance(value, Mapping):
        message = f'The field {field.name} must be an object such as {{"id": 1}}.'
        raise FieldProblem("InvalidField", message)
    for key in field.ref.lookup:
        wanted = value.get(key)
        if wanted is None:
            continue
        found = resolve(field.ref, key, wanted)
        if found is None:
            message = f"{field.name} with {key} {wanted!r} was not found."
            raise FieldProblem("NotFound", message, key)
        return {"id": found}
    keys = " or ".join(field.ref.lookup)
    raise FieldProblem("MissingRequiredField", f"{field.name} {keys} is required.")


def _field_name(field: Field, problem: FieldProblem) -> str:
    return f"{field.name}/{problem.subfield}" if problem.subfield else field.name


def _issue(resource: Resource, field: Field, problem: FieldProblem) -> ValidationIssue:
    return ValidationIssue(
        problem.code, problem.message, resource.name, _field_name(field, problem)
    )
