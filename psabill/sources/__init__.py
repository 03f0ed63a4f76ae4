"""Usage sources: vendor seat counts from CSV, JSON, a program or an HTTP endpoint.

Every source yields validated :class:`UsageRecord` values or fails as a whole
with a :class:`~psabill.errors.SourceError` naming the file, line and column.
"""

from psabill.sources.parse import MAX_QUANTITY, SourceResult, UsageRecord
from psabill.sources.read import read_all, read_source

__all__ = ["MAX_QUANTITY", "SourceResult", "UsageRecord", "read_all", "read_source"]
