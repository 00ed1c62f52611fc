"""The send gate: a stop lets the send under way finish and starts no new one."""

from __future__ import annotations

import asyncio

from bot.delivery.send_gate import SendGate


async def test_closing_waits_for_the_send_under_way_and_starts_no_other():
    gate = SendGate()
    started, release = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    async def slow(name: str) -> str:
        started.set()
        await release.wait()
        sent.append(name)
        return name

    first = asyncio.create_task(gate.run(lambda: slow("first")))
    await started.wait()
    gate.close()
    started.clear()
    second = asyncio.create_task(gate.run(lambda: slow("second")))
    drained = asyncio.create_task(gate.drained(timeout=60))
    await asyncio.sleep(0)
    assert gate.in_flight == 1 and not drained.done()
    release.set()
    assert await first == "first"
    assert await drained is True
    assert not second.done() and not started.is_set()  # never started
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert sent == ["first"]


async def test_a_send_that_does_not_finish_in_time_is_reported():
    gate = SendGate()
    forever = asyncio.Event()
    stuck = asyncio.create_task(gate.run(forever.wait))
    await asyncio.sleep(0)
    gate.close()
    assert await gate.drained(timeout=0) is False
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)
    assert gate.in_flight == 0 and await gate.drained(timeout=0) is True
