"""Which API version a request asks for (the ``Accept`` header) and how the answer says it.

ConnectWise versions its REST models by release: ``Accept: application/vnd.connectwise.com+json;
version=2025.8`` pins them, and without a version the latest models are served (reference §1.4).
The sandbox serves only the 2025.8 models the reference documents, so:

* no ``Accept``, ``*/*``, ``application/json`` or the vendor type without ``version`` — the
  latest (2025.8) models;
* ``version=2025.8`` — served;
* any other version — refused with the body ConnectWise sends for an unsupported version,
  ``{"code": "ConnectWiseApi", "message": "The HTTP resource that matches the request URI
  '…' does not support the API version '…'."}`` (seen in a public client's issue). The status
  is not documented; the sandbox answers 400, as ASP.NET's API versioning does. A real server
  would still serve an *older* version it knows; the sandbox refuses it because it cannot show
  older models, which is stricter, never kinder;
* only the **first** media range of ``Accept`` counts: a client library found that
  ``application/json, application/vnd.connectwise.com+json; version=…`` does not pin the
  version, so a version that comes later is ignored here too.

Answers from the API say what they are: ``Content-Type: application/vnd.connectwise.com+json;
version=2025.8``, the spec's response media type.
"""

from __future__ import annotations

from psabill.sandbox.api_errors import ApiError

SERVED_VERSION = "2025.8"
KNOWN_VERSIONS: tuple[str, ...] = (SERVED_VERSION,)
VENDOR_TYPE = "application/vnd.connectwise.com+json"
CONTENT_TYPE = f"{VENDOR_TYPE}; version={SERVED_VERSION}"
"""The ``Content-Type`` of every answer served after the version was agreed."""


def requested_version(accept: str) -> str | None:
    """The version the first media range of ``accept`` pins, or ``None`` for "the latest"."""
    first = accept.split(",", 1)[0]
    media_type, *parameters = (part.strip() for part in first.split(";"))
    if media_type.lower() != VENDOR_TYPE:
        return None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "version":
            return value.strip().strip('"')
    return None


def negotiate(accept: str, url: str) -> str:
    """The version to serve for ``accept``; an unknown one is ConnectWise's 400."""
    version = requested_version(accept)
    if version is None:
        return SERVED_VERSION
    if version not in KNOWN_VERSIONS:
        message = (
            f"The HTTP resource that matches the request URI '{url}' "
            f"does not support the API version '{version}'."
        )
        raise ApiError(400, "ConnectWiseApi", message)
    return version
