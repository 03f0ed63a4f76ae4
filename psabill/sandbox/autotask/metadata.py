"""What the fake Autotask says about itself: entity fields with their picklists, and the use of
the hourly request allowance (``ThresholdInformation``, reference §1.5).

Picklists are served so clients read labels and ids instead of hard-coding them (§1.2): the
contract categories come from the world (the ConnectWise agreement types, translated), the
others are fixed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from psabill.sandbox.autotask.data import AutotaskWorld

HOURLY_THRESHOLD = 10_000
WINDOW = 3600.0
FIXED_PICKLISTS: dict[str, dict[str, dict[int, str]]] = {
    "Contracts": {
        "status": {0: "Inactive", 1: "Active"},
        "contractType": {
            1: "Time & Materials",
            3: "Fixed Price",
            4: "Block Hours",
            7: "Recurring Service",
        },
    },
    "Services": {"periodType": {1: "Monthly", 2: "Quarterly", 3: "Semi-Annual", 4: "Yearly"}},
}


def fields_of(world: AutotaskWorld, entity: str) -> list[dict[str, Any]]:
    """``entityInformation/fields``: the entity's fields, picklists with their values."""
    with world.lock:
        sample = next(iter(world.tables.get(entity, {}).values()), {})
        lists = dict(FIXED_PICKLISTS.get(entity, {}))
        if entity == "Contracts":
            lists["contractCategory"] = dict(world.categories)
    names = sorted(set(sample) | set(lists) | {"id"})
    return [_field(name, lists.get(name)) for name in names]


def _field(name: str, picklist: dict[int, str] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "dataType": "integer" if picklist is not None or name == "id" else "string",
        "isPickList": picklist is not None,
        "isReadOnly": name == "id",
        "picklistValues": None,
    }
    if picklist is not None:
        entry["picklistValues"] = [
            {
                "value": str(value),
                "label": label,
                "isDefaultValue": False,
                "sortOrder": order,
                "parentValue": "",
                "isActive": True,
                "isSystem": False,
            }
            for order, (value, label) in enumerate(sorted(picklist.items()))
        ]
    return entry


class Usage:
    """Authenticated requests in the last hour, for ``ThresholdInformation``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: deque[float] = deque()

    def count(self) -> None:
        with self._lock:
            self._times.append(self._clock())

    def used(self) -> int:
        with self._lock:
            horizon = self._clock() - WINDOW
            while self._times and self._times[0] <= horizon:
                self._times.popleft()
            return len(self._times)

    def information(self) -> dict[str, int]:
        return {
            "externalRequestThreshold": HOURLY_THRESHOLD,
            "requestThresholdTimeframe": int(WINDOW // 60),
            "currentTimeframeRequestCount": self.used(),
        }
