"""Error bodies in ConnectWise's ``ErrorResponseMessage`` shape.

The real API answers errors with ``{"code", "message", "errors"}`` where ``errors`` is ``null`` or
a list of ``ValidationError`` objects ``{"code", "message", "resource", "field"}`` (reference §5.1).
The 429 body is the one exception; it is built in :mod:`psabill.sandbox.faults`.

Message *wording* is the sandbox's own; the codes (``InvalidObject``, ``MissingRequiredField``,
``MaxLengthField``, ``NotFound``, ``ObjectExists``, ``Unauthorized``) are the documented ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ValidationIssue:
    """One entry of ``errors[]``: which field of which resource is wrong, and why."""

    code: str
    message: str
    resource: str
    field: str

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": self.message,
            "resource": self.resource,
            "field": self.field,
        }


class ApiError(Exception):
    """A request the sandbox refuses, carrying the HTTP status and the real error body.

    Store helpers raise it too, so a test seeding invalid data sees the same ``errors[]`` an API
    client would.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[ValidationIssue] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        issues = None if self.errors is None else [issue.to_json() for issue in self.errors]
        return {"code": self.code, "message": self.message, "errors": issues}

    def __str__(self) -> str:
        if not self.errors:
            return f"{self.status} {self.code}: {self.message}"
        details = "; ".join(f"{i.field}: {i.message}" for i in self.errors)
        return f"{self.status} {self.code}: {self.message} ({details})"


def invalid_object(resource: str, issues: list[ValidationIssue]) -> ApiError:
    """400 ``InvalidObject`` as the real API sends for a failed validation."""
    return ApiError(400, "InvalidObject", f"{resource} object is invalid", issues)


def invalid_query(parameter: str, code: str, message: str) -> ApiError:
    """400 for a bad query parameter (``conditions``, ``orderBy``, ``page`` ...).

    The real wording is not documented; the sandbox uses the ``InvalidObject`` envelope with one
    issue whose ``resource`` and ``field`` name the parameter.
    """
    issue = ValidationIssue(code=code, message=message, resource=parameter, field=parameter)
    return ApiError(400, "InvalidObject", f"{parameter} is invalid", [issue])


def not_found(label: str, record_id: int) -> ApiError:
    return ApiError(404, "NotFound", f"{label} with id {record_id} was not found.")
