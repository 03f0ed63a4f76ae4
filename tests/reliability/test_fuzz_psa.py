"""PSA response fuzzing: whatever a ConnectWise server (or a proxy in front of it) answers, a read
either returns correctly typed value objects or raises PsaError - never KeyError, TypeError,
ValueError, AttributeError or anything else; and garbage from a read stops a run before any write.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import types
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import httpx
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core import entities
from psabill.core.report import SyncRequest
from psabill.errors import PsaError
from psabill.psa import PsaClient
from psabill.psa.base import AccessReport
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import prepare
from tests.psa.conftest import FakeClock, make_psa
from tests.psa.test_cw_mapping import ADDITION, AGREEMENT, CATALOG, COMPANY, INVOICE

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
Call = Callable[[ConnectWiseClient], Awaitable[Any]]
READS: dict[str, tuple[Call, dict[str, Any]]] = {
    "companies": (lambda c: c.companies(["AcmeDental"]), COMPANY),
    "agreements": (lambda c: c.agreements([250]), AGREEMENT),
    "agreement_types": (
        lambda c: c.agreement_types(),
        {"id": 10, "name": "Managed Services", "defaultFlag": False, "inactiveFlag": False},
    ),
    "additions": (lambda c: c.additions(1500), ADDITION),
    "catalog_items": (lambda c: c.catalog_items(["SOPHOS-IX-ADV"]), CATALOG),
    "search_catalog": (lambda c: c.search_catalog("SOPHOS"), CATALOG),
    "invoices": (lambda c: c.invoices([250], date(2024, 1, 1), date(2026, 12, 31)), INVOICE),
}


# -- answers -------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:00:00-05:00",
            "2024-13-01",
            "Active",
            "Cancelled",
            "Bogus",
            "SOPHOS-IX-ADV",
            "AcmeDental",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "identifier", "name"]) | st.text(max_size=5), inner
        )
    ),
    max_leaves=10,
)


# Values that are almost right for a field: the edges of dates, numbers and enumerations.
EDGES = st.sampled_from(
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:00:00-05:00",  # after year 9999 in UTC
        "2024-02-30T00:00:00Z",
        "2024-01-01",
        "",
        -1,
        0,
        2**63,
        10**400,
        1e308,
        -0.0,
        True,
        "42",
        "Cancelled",
        "cancelled",
        {},
        [],
        None,
    ]
)


@st.composite
def mutated_row(draw: st.DrawFn, row: dict[str, Any]) -> dict[str, Any]:
    """A valid row with some fields deleted or given random values (nested ones too)."""
    row = json.loads(json.dumps(row))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(row)))
        target = row
        if isinstance(row[key], dict) and row[key] and draw(st.booleans()):
            target, key = row[key], draw(st.sampled_from(sorted(row[key])))
        action = draw(st.sampled_from(["delete", "random", "edge", "edge"]))
        if action == "delete":
            del target[key]
        else:
            target[key] = draw(json_values if action == "random" else EDGES)
    return row


def json_answer(
    status: int, payload: Any, content_type: str = "application/json"
) -> httpx.Response:
    body = json.dumps(payload).encode()  # NaN would be written as NaN, which is not JSON
    return httpx.Response(status, content=body, headers={"Content-Type": content_type})


HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
STATUSES = [201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503]


@st.composite
def answers(draw: st.DrawFn, row: dict[str, Any], *, single: bool = False) -> httpx.Response:
    """An answer to a list read (or, ``single``, to a one-object read) from a server or proxy."""
    status = draw(st.just(200) | st.sampled_from(STATUSES))  # about half of them 200
    kind = draw(
        st.sampled_from(
            ["rows", "rows", "rows", "shape", "broken", "html", "empty", "truncated", "bytes"]
        )
    )
    if kind == "rows":
        rows = mutated_row(row) if single else st.lists(mutated_row(row), max_size=3)
        return json_answer(status, draw(rows))
    if kind == "shape":
        return json_answer(status, draw(json_values))
    if kind == "broken":
        text = draw(st.sampled_from(['[{"id": 1,', "[NaN]", "{'a': 1}", "[1] [2]", "\x00", "[-]"]))
        return httpx.Response(
            status, content=text.encode(), headers={"Content-Type": "application/json"}
        )
    if kind == "html":
        status = draw(st.sampled_from([200, 502]))
        return httpx.Response(status, content=HTML, headers={"Content-Type": "text/html"})
    if kind == "empty":
        headers = draw(st.sampled_from([{}, {"Content-Type": "application/json"}]))
        return httpx.Response(status, content=b"", headers=headers)
    if kind == "truncated":
        body = json.dumps(draw(st.lists(mutated_row(row), min_size=1, max_size=2))).encode()
        cut = draw(st.integers(0, len(body) - 1))
        return httpx.Response(
            status, content=body[:cut], headers={"Content-Type": "application/json"}
        )
    content_type = draw(st.sampled_from(["application/json", "", "application/octet-stream"]))
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.Response(status, content=draw(st.binary(max_size=64)), headers=headers)


# -- the check -------------------------------------------------------------------------------


def client_answering(
    answer: httpx.Response, *, discovery: httpx.Response | None = None
) -> ConnectWiseClient:
    """A client whose every API request gets ``answer`` (discovery gets ``discovery``)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if "/login/companyinfo/" in request.url.path:
            if discovery is not None:
                return copy(discovery)
            return json_answer(200, {"Codebase": "v2025_1/", "IsCloud": False})
        return copy(answer)

    clock = FakeClock()
    return ConnectWiseClient(
        make_psa(),
        policy=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )


def copy(response: httpx.Response) -> httpx.Response:
    return httpx.Response(response.status_code, content=response.content, headers=response.headers)


def call(client: ConnectWiseClient, action: Call) -> Any:
    async def main() -> Any:
        async with client:
            return await action(client)

    return asyncio.run(main())


def describe(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {dict(response.headers)} {response.content[:300]!r}"


def outcome(client: ConnectWiseClient, action: Call) -> Any:
    """The call's result, or the PsaError it raised; any other exception fails the test."""
    try:
        return call(client, action)
    except PsaError as caught:
        error = caught
    assert error.message, error
    assert "\n" not in error.message, error.message
    return error


def assert_typed(value: Any) -> None:
    """``value`` is a psabill value object whose every field has its declared type."""
    assert dataclasses.is_dataclass(value), value
    assert type(value).__module__ == entities.__name__, value
    hints = get_type_hints(type(value))
    for field in dataclasses.fields(value):
        assert conforms(getattr(value, field.name), hints[field.name]), (field.name, value)


def conforms(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Literal:
        return value in get_args(hint)
    if origin in (Union, types.UnionType):
        return any(conforms(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    if hint is date:
        return type(value) is date
    return isinstance(value, hint)


# -- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("read", sorted(READS))
def test_valid_answers_map_to_typed_values(read: str) -> None:
    action, row = READS[read]
    result = outcome(client_answering(json_answer(200, [row])), action)
    assert not isinstance(result, PsaError), result
    assert result, read
    for item in result:
        if read == "agreement_types":
            assert isinstance(item, str)
        else:
            assert_typed(item)


def fuzz_read(read: str) -> Callable[..., None]:
    action, row = READS[read]

    @FUZZ
    @given(answer=answers(row))
    def test(answer: httpx.Response) -> None:
        note(describe(answer))
        result = outcome(client_answering(answer), action)
        if isinstance(result, PsaError):
            return
        assert isinstance(result, list), result
        assert answer.status_code < 300  # no error status ever reads as data
        for item in result:
            if read == "agreement_types":
                assert isinstance(item, str), item
            else:
                assert_typed(item)

    test.__name__ = f"test_fuzzed_{read}_answers_are_values_or_a_psa_error"
    return test


test_fuzzed_companies = fuzz_read("companies")
test_fuzzed_agreements = fuzz_read("agreements")
test_fuzzed_agreement_types = fuzz_read("agreement_types")
test_fuzzed_additions = fuzz_read("additions")
test_fuzzed_catalog_items = fuzz_read("catalog_items")
test_fuzzed_search_catalog = fuzz_read("search_catalog")
test_fuzzed_invoices = fuzz_read("invoices")


COMPANY_INFO = {"Codebase": "v2025_1/", "IsCloud": False, "CompanyName": "Acme"}


@FUZZ
@given(discovery=answers(COMPANY_INFO, single=True))
def test_fuzzed_companyinfo_discovery(discovery: httpx.Response) -> None:
    note(describe(discovery))
    client = client_answering(json_answer(200, []), discovery=discovery)
    result = outcome(client, lambda c: c.companies(["AcmeDental"]))
    assert isinstance(result, PsaError) or result == []


@FUZZ
@given(answer=answers(COMPANY))
def test_doctor_reports_instead_of_raising(answer: httpx.Response) -> None:
    note(describe(answer))
    report = call(client_answering(answer), lambda c: c.check_access())
    assert isinstance(report, AccessReport)


@FUZZ
@given(answer=answers(ADDITION))
def test_a_fuzzed_write_answer_is_an_addition_or_a_psa_error(answer: httpx.Response) -> None:
    """PATCH answers are read back like any row; a garbled one is a PsaError, not a crash."""
    note(describe(answer))
    result = outcome(
        client_answering(answer), lambda c: c.update_addition_quantity(1500, 9000, Decimal(42))
    )
    if not isinstance(result, PsaError):
        assert_typed(result)
        assert result.quantity == 42


@pytest.mark.parametrize("link", [None, '<{url}>; rel="next"'])
def test_a_server_that_ignores_paging_is_an_error_not_an_endless_read(link: str | None) -> None:
    """A cache or proxy dropping ``?page=2`` answers page 1 again, a full page every time."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if "/login/companyinfo/" in request.url.path:
            return json_answer(200, {"Codebase": "v2025_1/"})
        requests.append(request)
        assert len(requests) < 50, "still paging"
        headers = {"Link": link.format(url=request.url)} if link else {}
        return httpx.Response(200, json=[COMPANY, {**COMPANY, "id": 251}], headers=headers)

    clock = FakeClock()
    client = ConnectWiseClient(
        make_psa(),
        policy=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    client.session.page_size = 2
    result = outcome(client, lambda c: c.companies(["AcmeDental"]))
    assert isinstance(result, PsaError)
    assert "ignores paging" in result.message
    assert len(requests) == 2


# -- a garbled read stops the run before any write ---------------------------------------------

GARBAGE = {
    "html-200": (200, "text/html", HTML),
    "html-502": (502, "text/html", HTML),
    "truncated": (200, "application/json", b'[{"id": 9000, "agreementId": 15'),
    "wrong-shape": (200, "application/json", b'{"rows": []}'),
    "wrong-type": (
        200,
        "application/json",
        b'[{"id": 9000, "product": "SOPHOS", "quantity": "lots"}]',
    ),
    "empty": (200, "application/json", b""),
}


class Garbling(httpx.AsyncBaseTransport):
    """Forwards to the real sandbox, but answers every additions list read with ``garbage``."""

    def __init__(self, garbage: tuple[int, str, bytes]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.garbage = garbage
        self.methods: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        if request.method == "GET" and request.url.path.endswith("/additions"):
            status, content_type, body = self.garbage
            return httpx.Response(status, content=body, headers={"Content-Type": content_type})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        setup = prepare(sandbox.site_url, tmp_path / "demo")
        yield sandbox, setup.config


@pytest.mark.slow
@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_from_the_additions_read_means_no_write(
    demo: tuple[Sandbox, Path], tmp_path: Path, garbage: str
) -> None:
    sandbox, config = demo
    transport = Garbling(GARBAGE[garbage])

    def garbled(psa: Psa) -> PsaClient:
        return ConnectWiseClient(psa, policy=RetryPolicy(max_retries=0), transport=transport)

    before = sandbox.store.dump()
    runner = Runner(load_config(config, {}), tmp_path / "state", {}, psa=garbled)
    report = runner.sync(SyncRequest(trigger="manual"))

    assert transport.methods
    assert set(transport.methods) == {"GET"}, transport.methods
    assert {r.method for r in sandbox.requests()} <= {"GET"}
    assert sandbox.store.dump() == before
    assert report.outcome == "failure", report
    assert report.fatal
    assert "ConnectWise" in report.fatal
    assert not [r for r in report.results if r.status == "confirmed" and r.line.writes]
