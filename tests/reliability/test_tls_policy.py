"""HTTPS-only and certificate verification, where tests/psa/test_tls.py does not reach.

tests/psa/test_tls.py proves the ConnectWise client refuses an untrusted certificate and honours
``psa.ca_bundle``. Here: the same policy through the CLI (``doctor``), the config refusing plain
http for a non-loopback PSA, and the HTTP usage source (refused before any connection, and an
untrusted certificate refused before the token is sent).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.errors import SourceError
from psabill.sources import read_source
from tests.conftest import ENV, MINIMAL
from tests.sources.support import make_source

TOKEN = "tls-policy-token-4c1d"


def cli(config: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], env={**ENV, **(env or {})})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "psabill.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


# -- the PSA site ------------------------------------------------------------------------------

REMOTE = [
    "http://cw.example.com",
    "HTTP://cw.example.com:8080",
    "http://10.0.0.5",
    "http://192.168.1.10:8917",
    "http://127.0.0.1.nip.io",
    "http://localhost.example.com",
    "http://0.0.0.0:8917",
    "http://[::]:8917",
    "http://[fe80::1]",
]
LOOPBACK = [
    "http://127.0.0.1:8917",
    "http://127.8.9.10",
    "http://localhost:8917",
    "http://LOCALHOST",
    "http://[::1]:8917",
]


@pytest.mark.parametrize("site", REMOTE)
def test_config_refuses_plain_http_to_a_remote_psa(tmp_path: Path, site: str) -> None:
    config = write(tmp_path, MINIMAL.replace("http://127.0.0.1:8917", site))
    result = cli(config, "config", "validate")
    assert result.exit_code == 78, result.output
    assert f"{config}:6: psa.site: site must use https://" in result.output


@pytest.mark.parametrize("site", LOOPBACK)
def test_config_allows_plain_http_to_loopback(tmp_path: Path, site: str) -> None:
    config = write(tmp_path, MINIMAL.replace("http://127.0.0.1:8917", site))
    assert cli(config, "config", "validate").exit_code == 0


# -- the PSA certificate, through the CLI --------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@dataclass
class TlsServer:
    url: str
    paths: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[TlsServer]:
    """HTTPS on 127.0.0.1 with a certificate from ``ca``: companyinfo, and 500 for the rest."""
    state = TlsServer("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            state.authorizations.append(self.headers.get("Authorization", ""))
            if "/login/companyinfo/" in self.path:
                status, body = 200, b'{"Codebase": "v2025_1/", "IsCloud": false}'
            else:
                status, body = 500, b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # refused handshakes
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def psa_config(tmp_path: Path, site: str, ca_bundle: Path | None = None) -> Path:
    text = MINIMAL.replace("http://127.0.0.1:8917", site)
    if ca_bundle is not None:
        text += f'ca_bundle = "{ca_bundle}"\n'
    return write(tmp_path, text + "retries = 0\ntimeout = 5\n")


def test_doctor_refuses_an_untrusted_psa_certificate(tmp_path: Path, tls_server: TlsServer) -> None:
    result = cli(psa_config(tmp_path, tls_server.url), "doctor")
    assert result.exit_code == 1, result.output
    assert "TLS certificate is not trusted" in result.output
    assert "psa.ca_bundle" in result.output
    assert "Traceback" not in result.output
    assert tls_server.paths == []  # no request got through the failed handshake


def test_doctor_trusts_the_configured_ca_bundle(
    tmp_path: Path, tls_server: TlsServer, ca: trustme.CA
) -> None:
    bundle = tmp_path / "internal-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    result = cli(psa_config(tmp_path, tls_server.url, bundle), "doctor")
    assert "not trusted" not in result.output
    assert f"PSA: connectwise at {tls_server.url}/v2025_1/apis/3.0" in result.output
    assert any("/login/companyinfo/" in path for path in tls_server.paths)


# -- the HTTP usage source -----------------------------------------------------------------------


@dataclass
class ProxyTrap:
    """A listening socket set as HTTP(S)_PROXY: any connection psabill makes shows up here."""

    url: str
    sock: socket.socket

    def connections(self) -> int:
        count = 0
        self.sock.settimeout(0.2)
        while True:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, BlockingIOError):
                return count
            conn.close()
            count += 1


@pytest.fixture
def proxy_trap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyTrap]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield ProxyTrap(url, sock)
    finally:
        sock.close()


def http_source(url: str) -> Any:
    """The source as loaded; a plain-http remote url (refused by the config) is set unchecked."""
    source = make_source(
        kind="http", name="vendor", url="https://x.example/u", token=TOKEN, timeout=2
    )
    return source.model_copy(update={"url": url})


@pytest.mark.parametrize(
    "url", ["http://usage.example.com/u", "http://10.1.2.3:8080/u", "http://[fe80::1]/u"]
)
def test_a_plain_http_usage_url_is_refused_before_any_connection(
    proxy_trap: ProxyTrap, url: str
) -> None:
    with pytest.raises(SourceError, match=r"https:// is required") as caught:
        read_source(http_source(url), base_dir=Path("."), env={})
    assert TOKEN not in caught.value.message
    assert proxy_trap.connections() == 0


def test_the_proxy_trap_does_see_a_request_that_is_allowed(proxy_trap: ProxyTrap) -> None:
    """Control for the test above: an https URL to a remote host does go through the proxy."""
    with pytest.raises(SourceError):
        read_source(http_source("https://usage.example.invalid/u"), base_dir=Path("."), env={})
    assert proxy_trap.connections() >= 1


def test_config_refuses_a_plain_http_usage_url_for_a_remote_host(tmp_path: Path) -> None:
    text = MINIMAL + (
        '\n[[sources]]\nname = "vendor"\nkind = "http"\nurl = "http://usage.example.com/u"\n'
    )
    result = cli(write(tmp_path, text), "config", "validate")
    assert result.exit_code == 78, result.output
    assert "sources[0].url" in result.output


def test_an_untrusted_usage_certificate_is_refused_before_the_token_is_sent(
    tls_server: TlsServer,
) -> None:
    with pytest.raises(SourceError) as caught:
        read_source(http_source(f"{tls_server.url}/usage"), base_dir=Path("."), env={})
    message = caught.value.message
    assert message.startswith(f"http vendor: cannot get {tls_server.url}/usage: ")
    assert "CERTIFICATE_VERIFY_FAILED" in message or "certificate" in message.lower()
    assert TOKEN not in message
    assert tls_server.authorizations == []
