"""TLS on a real loopback HTTPS server: verification is on, and ``psa.ca_bundle`` is honoured."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from psabill.errors import PsaError
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from tests.psa.conftest import FakeClock, make_psa, run


class _CompanyInfo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"Codebase": "v2025_1/", "IsCloud": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_site(ca: trustme.CA) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _CompanyInfo)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def discover(site: str, ca_bundle: Path | None) -> str:
    clock = FakeClock()
    client = ConnectWiseClient(
        make_psa(site=site, ca_bundle=ca_bundle),
        policy=RetryPolicy(max_retries=2),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    return run(client, lambda c: c.session.api_url())


def test_an_untrusted_certificate_is_refused_with_a_hint(https_site: str) -> None:
    with pytest.raises(PsaError, match="TLS certificate is not trusted") as caught:
        discover(https_site, None)
    assert "psa.ca_bundle" in str(caught.value.hint)


def test_the_configured_ca_bundle_is_trusted(
    https_site: str, ca: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    assert discover(https_site, bundle) == f"{https_site}/v2025_1/apis/3.0"
