"""Contract records from the store: every process's stored versions, compiled."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.radar.contracts import ContractRecord, compile_process
from bot.radar.successors import with_successors
from bot.report.inputs import store_processes
from bot.store import Store
from sources.notice import Notice

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def store_records(store: Store) -> list[ContractRecord]:
    """Every contract record in the store, with its successor once seen.

    Copies of a notice found on another source (mirrors) are left out, as in the report.
    """
    records: list[ContractRecord] = []
    notices: list[Notice] = []
    for versions in store_processes(store, EPOCH):
        records.extend(compile_process(versions, merged=True))
        notices.append(versions[-1])
    return with_successors(records, notices)
