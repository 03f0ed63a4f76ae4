"""Customer summaries per PSA company and period: drafts, the decision table, the content."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from psabill.config.models import Config
from psabill.core.outcome import FinalStatus, LineResult
from psabill.core.plan import Action
from psabill.core.report import SyncReport
from psabill.notify.customer import (
    CompanyDraft,
    company_drafts,
    company_summary,
    decide,
    held_back,
)
from psabill.notify.customer_mail import compose_company
from psabill.state import BilledLine, CustomerMailHistory, CustomerMailRecord
from tests.notify.support import base_config, line

NOW = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)  # mid-December in New York
TREND, SOPHOS = "trendmicro:51234", "sophos:4be1"


def config(**changes: Any) -> Config:
    data = base_config()
    data["customers"] = [
        *data["customers"],
        {
            "id": "4be1",
            "source": "sophos",
            "name": "Mueller via Sophos",
            "psa_company": "muellersoehne",  # the same company, spelt in another case
            "settings": "custom",
            "emails": "IT@mueller.example, Buchhaltung@Mueller.example",
        },
    ]
    data["products"] = [
        *data["products"],
        {"sku": "CIXA", "name": "Intercept X", "psa_product": "SOPHOS-IX"},
    ]
    return Config.model_validate(data | changes)


def result(
    account: str, sku: str, action: Action, cur: int | None, new: int | None, status: FinalStatus
) -> LineResult:
    planned = line(account, "vendor label", sku, action, cur, new)
    return LineResult(
        replace(planned, company="MuellerSoehne", company_name="Müller & Söhne GmbH"), status
    )


def report(*results: LineResult, trigger: str = "manual") -> SyncReport:
    return SyncReport(
        "success",
        NOW,
        trigger,  # type: ignore[arg-type]
        run_id=7,
        scope=tuple(sorted({r.line.customer for r in results})),
        results=list(results),
    )


def billed(account: str, sku: str, qty: int, product: str = "") -> BilledLine:
    name = product or {"CIXA": "Intercept X", "WFBS-SVC": "Trend Micro Worry-Free Services"}[sku]
    return BilledLine(account, sku, "vendor label - Managed Services", name, Decimal(qty))


def told(period: str, *lines: BilledLine, previous: tuple[BilledLine, ...] = ()) -> Any:
    return CustomerMailRecord(
        "muellersoehne", period, False, 1, 1, datetime(2026, 12, 1, 12, tzinfo=UTC), lines, previous
    )


def test_one_draft_per_company_by_its_psa_name_to_every_account_recipient() -> None:
    (draft,) = company_drafts(
        config(),
        report(
            result(TREND, "WFBS-SVC", "update", 17, 19, "confirmed"),
            result(SOPHOS, "CIXA", "create", None, 8, "confirmed"),
            result("sophos:acme", "CIXA", "update", 1, 2, "confirmed"),  # no recipients
        ),
    )
    assert (draft.company, draft.name, draft.period) == (
        "muellersoehne",
        "Müller & Söhne GmbH",
        "2026-12",
    )
    # The union of both accounts' addresses, each once whatever its case, in config order.
    assert draft.recipients == ("buchhaltung@mueller.example", "IT@mueller.example")
    assert draft.accounts == (TREND, SOPHOS)
    assert [(b.account, b.product, b.quantity) for b in draft.lines] == [
        (SOPHOS, "Intercept X", 8),
        (TREND, "Trend Micro Worry-Free Services", 19),
    ]
    assert [(b.account, b.quantity) for b in draft.before_run] == [(TREND, 17)]
    assert draft.problems == ""


def test_failed_and_held_lines_hold_the_company_summary_back() -> None:
    (draft,) = company_drafts(
        config(),
        report(
            result(TREND, "WFBS-SVC", "update", 17, 19, "failed"),
            result(SOPHOS, "CIXA", "held", 9, 2, "skipped"),
            result(SOPHOS, "LP", "held", 3, 1, "skipped"),
        ),
    )
    assert draft.problems == "1 line failed, 2 held"
    assert decide(draft, CustomerMailHistory()) is None
    assert held_back([draft]) == (
        "Müller & Söhne GmbH, 2026-12: 1 line failed, 2 held; its customer summary is held "
        "back until all its lines are confirmed",
    )


def draft_of(*lines: BilledLine, accounts: tuple[str, ...] = (TREND, SOPHOS)) -> CompanyDraft:
    return CompanyDraft(
        "muellersoehne", "Müller & Söhne GmbH", "2026-12", config().schedule, ("a@b.example",),
        accounts, tuple(sorted(lines)), (billed(TREND, "WFBS-SVC", 17),),
    )  # fmt: skip


NOW_BILLED = (billed(TREND, "WFBS-SVC", 19), billed(SOPHOS, "CIXA", 8))


@pytest.mark.parametrize(
    ("history", "sends"),
    [
        (CustomerMailHistory(), "first"),  # nothing sent this period yet
        (CustomerMailHistory(before=told("2026-11", billed(TREND, "WFBS-SVC", 19))), "first"),
        (CustomerMailHistory(in_period=told("2026-12", *NOW_BILLED)), None),  # nothing differs
        (  # a product renamed in the config is not a change to the bill
            CustomerMailHistory(
                in_period=told("2026-12", billed(TREND, "WFBS-SVC", 19, "old name"), NOW_BILLED[1])
            ),
            None,
        ),
        (
            CustomerMailHistory(in_period=told("2026-12", billed(TREND, "WFBS-SVC", 21))),
            "correction",
        ),
    ],
)
def test_the_decision_table(history: CustomerMailHistory, sends: str | None) -> None:
    mail = decide(draft_of(*NOW_BILLED), history)
    if sends is None:
        assert mail is None
        return
    assert mail is not None
    assert ("correction" if mail.correction else "first") == sends
    assert set(mail.lines) == set(NOW_BILLED)


def test_a_first_summary_compares_with_the_previous_period_else_with_before_the_run() -> None:
    november = told("2026-11", billed(TREND, "WFBS-SVC", 15))
    with_history = decide(draft_of(*NOW_BILLED), CustomerMailHistory(before=november))
    assert with_history is not None
    assert with_history.previous == november.lines
    fresh = decide(draft_of(*NOW_BILLED), CustomerMailHistory())
    assert fresh is not None
    assert fresh.previous == (billed(TREND, "WFBS-SVC", 17),)


def test_a_correction_keeps_the_replaced_summary_previous_and_carries_other_accounts() -> None:
    """A run for the Trend account only: the Sophos line comes from what was said before."""
    sent = told(
        "2026-12", billed(TREND, "WFBS-SVC", 19), billed(SOPHOS, "CIXA", 8),
        previous=(billed(TREND, "WFBS-SVC", 15),),
    )  # fmt: skip
    draft = draft_of(billed(TREND, "WFBS-SVC", 21), accounts=(TREND,))
    mail = decide(draft, CustomerMailHistory(in_period=sent))
    assert mail is not None
    assert mail.replaces == sent
    assert set(mail.lines) == {billed(TREND, "WFBS-SVC", 21), billed(SOPHOS, "CIXA", 8)}
    assert mail.previous == sent.previous

    summary = company_summary(config(), mail, now=NOW)
    assert summary.title == "Corrected billing summary for Müller & Söhne GmbH, 2026-12"
    assert ("Replaces", "the billing summary sent on 2026-12-01") in summary.facts
    assert ("Licence lines", "2 lines (2 changed)") in summary.facts
    assert summary.columns[-1] == "Correction"
    assert summary.rows == (
        ("Intercept X", "vendor label - Managed Services", "-", "8", "new", ""),
        ("Trend Micro Worry-Free Services", "vendor label - Managed Services", "15", "21", "+6",
         "corrected (was 19)"),
    )  # fmt: skip
    assert "replaces the one sent on 2026-12-01" in summary.footer
    (table,) = summary.tables  # what both bodies show: quantities right, corrections marked
    assert (table.rows, table.align) == (summary.rows, ("l", "l", "r", "r", "r", "l"))
    assert table.tones == (None, "warn")


def test_a_line_no_longer_billed_shows_as_ending() -> None:
    sent = told("2026-11", billed(TREND, "WFBS-SVC", 19), billed(SOPHOS, "CIXA", 8))
    mail = decide(draft_of(billed(TREND, "WFBS-SVC", 19)), CustomerMailHistory(before=sent))
    assert mail is not None
    rows = company_summary(config(), mail, now=NOW).rows
    assert ("Intercept X", "vendor label - Managed Services", "8", "0", "-8") in rows


def test_only_companies_with_recipients_and_lines_in_the_run_get_a_draft() -> None:
    contoso = replace(
        line("c0", "Contoso", "CIXA", "update", 1, 2), company="C", company_name="Contoso"
    )
    only_contoso = report(LineResult(contoso, "confirmed"))
    assert company_drafts(config(), only_contoso) == ()  # custom settings but no emails
    assert company_drafts(config(), report()) == ()  # Müller had no line this time
    data = base_config()
    data["customers"][2]["emails"] = "ap@contoso.example"
    (draft,) = company_drafts(Config.model_validate(data), only_contoso)
    assert (draft.company, draft.recipients) == ("c", ("ap@contoso.example",))


def test_the_message_is_sent_in_the_msps_name_with_encoded_headers_and_its_own_schedule() -> None:
    own = Config.model_validate(base_config())  # Müller only through its Trend Micro account
    (draft,) = company_drafts(own, report(result(TREND, "WFBS-SVC", "update", 17, 19, "confirmed")))
    mail = decide(draft, CustomerMailHistory())
    assert mail is not None
    composed = compose_company(own, mail, 7, NOW)
    assert composed.recipients == ("buchhaltung@mueller.example",)
    raw = composed.as_bytes()
    assert raw.isascii()  # RFC 2047 and quoted-printable: nothing 8-bit on the wire
    assert b"\r\n" in raw
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == composed.subject
    assert composed.subject.startswith("Northwind MSP: billing summary for Müller & Söhne GmbH")
    assert message["From"].addresses[0].display_name == "Northwind MSP"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"].endswith("@northwind.example>")
    assert (message["Auto-Submitted"], message["X-Psabill-Kind"]) == ("auto-generated", "customer")
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Trend Micro Worry-Free Services" in text  # the product's name, not its SKU
    assert "Next update:    2026-12-31 07:00 EST" in text  # its own schedule, not the global one
    assert "failed" not in text.lower()
