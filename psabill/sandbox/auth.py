"""Who may call the sandbox: the API member keys it accepts and the check of each request.

Owns authentication for the ConnectWise surface (reference §1.3–1.4):
``Authorization: Basic base64(company+publicKey:privateKey)`` (company compared
case-insensitively, keys exactly) and a ``clientId`` header whose name is case-insensitive and
whose value must equal the configured client id. The sandbox accepts several API members (see
:mod:`psabill.sandbox.security`); the key pair picks the member. Anything wrong answers **401**
``{"code": "Unauthorized", "message": ..., "errors": null}``. A missing ``clientId`` is also a
401: the reference only says the header is required, and the public reports of enforcement
(ConnectWise's 2019 roll-out, Automate's identical rule) describe 401 Unauthorized.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from psabill.sandbox.api_errors import ApiError


@dataclass(frozen=True)
class SandboxCredentials:
    """The API member keys the sandbox accepts (login company, key pair, integration client id)."""

    company: str
    public_key: str
    private_key: str
    client_id: str

    def headers(self) -> dict[str, str]:
        """``Authorization`` and ``clientId`` headers for a client of this sandbox."""
        token = f"{self.company}+{self.public_key}:{self.private_key}".encode()
        return {
            "Authorization": "Basic " + base64.b64encode(token).decode("ascii"),
            "clientId": self.client_id,
        }


DEMO_CREDENTIALS = SandboxCredentials(
    company="psabill_demo",
    public_key="sandbox-public",
    private_key="sandbox-private",
    client_id="6f1c2a9e-4b7d-4e58-9c3a-2d8e5b0f7a14",
)


def authenticate(
    headers: Mapping[str, str], accepted: Sequence[SandboxCredentials]
) -> SandboxCredentials:
    """The entry of ``accepted`` whose keys ``headers`` (names in lower case) carry; else 401."""
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise _unauthorized("Authorization header with Basic credentials is required.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("Malformed Basic credentials.") from None
    username, _, private_key = decoded.partition(":")
    company, _, public_key = username.partition("+")
    expected = next(
        (
            c
            for c in accepted
            if company.casefold() == c.company.casefold()
            and public_key == c.public_key
            and private_key == c.private_key
        ),
        None,
    )
    if expected is None:
        raise _unauthorized("Invalid credentials: check the company, public key and private key.")
    client_id = headers.get("clientid", "").strip()
    if not client_id:
        raise _unauthorized(
            "The clientId header is required. See https://developer.connectwise.com/ClientID."
        )
    if client_id.casefold() != expected.client_id.casefold():
        raise _unauthorized(f"The clientId {client_id!r} is not registered.")
    return expected


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message)
