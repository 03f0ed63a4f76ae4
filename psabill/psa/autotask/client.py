"""The Autotask PSA adapter: :class:`~psabill.psa.base.PsaClient` over the REST API v1.0.

Plumbing is in :mod:`.session`, the reads in :mod:`.reads`, JSON mapping in :mod:`.mapping`,
``psabill doctor`` in :mod:`.access`, and the one kind of write, a journalled unit delta, in
:mod:`.deltas`. This module turns the protocol's writes into deltas, and refuses what Autotask
cannot take safely:

* Without a journal (``NoJournal``) the client is read-only: a delta nobody records could be
  posted twice.
* 0 units is refused before anything is sent: whether Autotask takes a service to 0 by
  adjustment is unverified (reference §1.7), and a cancelled ConnectWise addition has no
  Autotask twin. The user removes the service in Autotask, or keeps it (``on_usage_gone``).
* A new Service is not created: its allocation code decides how it is invoiced and posted to
  the ledger, a choice psabill cannot make for the MSP (:meth:`create_catalog_item`).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date
from decimal import Decimal

import httpx

from psabill.config.models import AutotaskPsa
from psabill.core.entities import Addition, CatalogItem, NewAddition, NewCatalogItem
from psabill.core.report import PacingStats
from psabill.errors import PsaError
from psabill.psa.autotask import mapping as at
from psabill.psa.autotask.deltas import DeltaPoster
from psabill.psa.autotask.reads import AtReads
from psabill.psa.autotask.session import AutotaskLogin, AutotaskSession
from psabill.psa.base import AccessReport, DeltaJournal, NoJournal
from psabill.psa.http_setup import psa_http
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now
from psabill.psa.tasks import AsyncClosing


class AutotaskClient(AtReads, AsyncClosing):
    """A :class:`~psabill.psa.base.PsaClient` for Autotask; no I/O until first use.

    ``journal`` records every unit delta (the run's ledger); without one the client only
    reads. ``timeout``, ``transport``, ``sleep``, ``monotonic``, ``wall`` and ``rng`` exist for
    tests, as on :class:`~psabill.psa.connectwise.client.ConnectWiseClient`.
    """

    def __init__(
        self,
        psa: AutotaskPsa,
        *,
        policy: RetryPolicy | None = None,
        journal: DeltaJournal | None = None,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        wall: WallClock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        http = psa_http(
            psa,
            "Autotask",
            policy=policy,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            monotonic=monotonic,
            wall=wall,
            rng=rng,
        )
        login = AutotaskLogin(
            psa.username, psa.integration_code.get_secret_value(), psa.secret.get_secret_value()
        )
        super().__init__(AutotaskSession(http, login, zone_lookup=psa.zone_lookup), wall)
        self.http = http
        self.journal: DeltaJournal = journal if journal is not None else NoJournal()
        self.deltas = DeltaPoster(self, self.journal)

    def __repr__(self) -> str:
        return f"AutotaskClient(user={self.session.login.username!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    def pacing_stats(self) -> PacingStats:
        return self.http.pacing_stats()

    async def check_access(self) -> AccessReport:
        from psabill.psa.autotask.access import check_access

        return await check_access(self.session)

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        """The contract's services and their units on ``on``; with a journal, every open entry
        of those services is settled by a read on its day when it can be (a run killed after
        its adjustment landed leaves one that no later write of that service may come for)."""
        found = await super().additions(agreement_id, on)
        if self.journal.keeps:
            for addition in found:
                await self.deltas.settle_quietly(agreement_id, addition.product_id)
        return found

    # -- writes --------------------------------------------------------------------------------

    async def update_addition_quantity(
        self, agreement_id: int, addition_id: int, quantity: Decimal, on: date | None = None
    ) -> Addition:
        """The contract service is found among those this client last read of the contract
        (an adjustment does not change them), or read when it is not there."""
        known = self.cache.known_links(agreement_id) or []
        links = [link for link in known if link.get("id") == addition_id]
        if not links:
            fresh = await self.links(agreement_id)
            links = [link for link in fresh if link.get("id") == addition_id]
        if not links:
            raise PsaError(
                f"Autotask contract {agreement_id} has no contract service {addition_id}",
                hint="it may have been removed in Autotask; run again to plan afresh",
            )
        link = links[0]
        service_id = at.ident(link, "serviceID")
        target = self._target(quantity, f"service {service_id} on contract {agreement_id}")
        units = await self.deltas.set_units(
            agreement_id, service_id, addition_id, on or self.today(), target
        )
        return at.addition(link, (await self.services([service_id])).get(service_id), units)

    async def create_addition(self, new: NewAddition) -> Addition:
        """The first adjustment of a service on a contract creates its ContractService; its
        record is read after only when this client had not seen it before."""
        where = f"{new.product_identifier} on contract {new.agreement_id}"
        target = self._target(new.quantity, where)
        known = self.cache.known_links(new.agreement_id)
        if known is None:
            existing = await self.links(new.agreement_id, new.product_id)
        else:
            existing = [link for link in known if link.get("serviceID") == new.product_id]
        reference = at.ident(existing[0]) if existing else None
        units = await self.deltas.set_units(
            new.agreement_id, new.product_id, reference, new.effective_date, target
        )
        links = existing or await self.links(new.agreement_id, new.product_id)
        if not links:
            raise PsaError(
                f"Autotask shows {units} units of {where} but no contract service for it",
                hint="check the contract in Autotask before running again",
            )
        self.cache.learn(links[0])
        service = (await self.services([new.product_id])).get(new.product_id)
        return at.addition(links[0], service, units)

    async def cancel_addition(
        self, agreement_id: int, addition_id: int, cancelled: date
    ) -> Addition:
        raise _no_zero(f"contract service {addition_id} on contract {agreement_id}")

    async def create_catalog_item(self, new: NewCatalogItem) -> CatalogItem:
        """An existing active Service named ``new.identifier``; psabill never creates one."""
        found = [i for i in await self.catalog_items([new.identifier]) if not i.inactive]
        exact = [i for i in found if i.identifier == new.identifier]
        if exact or found:
            return min(exact or found, key=lambda item: item.id)
        raise PsaError(
            f"Autotask has no active service named {new.identifier!r}, and psabill does not "
            "create services in Autotask",
            hint="a service's allocation code and period decide how Autotask invoices it and "
            "posts it to your ledger: create it in Autotask (Admin > Features & Settings > "
            "Products & Services > Services), then map the product to its name",
        )

    def _target(self, quantity: Decimal, where: str) -> int:
        if not self.journal.keeps:
            raise PsaError(
                f"not changing units of {where}: this Autotask client is read-only",
                hint="Autotask units change only by deltas, and psabill posts one only with "
                "its ledger recording it; run a sync (not a read-only command) to apply changes",
            )
        if quantity != quantity.to_integral_value():
            raise PsaError(
                f"Autotask counts whole units: cannot set {where} to {quantity}",
                hint="round the usage in the product's mapping",
            )
        if quantity <= 0:
            raise _no_zero(where)
        return int(quantity)


def _no_zero(where: str) -> PsaError:
    return PsaError(
        f"psabill does not take {where} to 0 units in Autotask",
        hint="remove the service from the contract in Autotask if the customer no longer has "
        'it, or set on_usage_gone = "keep" for the product so psabill leaves it as it is',
    )
