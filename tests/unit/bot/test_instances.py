"""Instances and their leases: claims belong to live instances; the database's own lock."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from bot.delivery.outbox import Outbox
from bot.events import Event
from bot.instance import InstanceError, InstanceLock
from bot.moments import DEFAULT_ZONE as LONDON
from bot.store import Store
from bot.store.instances import INSTANCE_LEASE, Instance
from sources.ocds import map_releases
from tests.conftest import FakeClock, made_releases

START = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(database):
    s = Store(database)
    yield s
    s.close()


def elsewhere(command: str = "run", pid: int = 4242) -> Instance:
    """An instance on another host: only its lease tells whether it is alive."""
    return Instance(id=f"other:{pid}", command=command, pid=pid, host="elsewhere", started_at=START)


def queue(store: Store, count: int) -> None:
    notices = map_releases(made_releases(), source="cf").notices
    with store.transaction():
        events: list[Event] = store.save_notices(notices, START)
        outbox = Outbox(store)
        for event in [e for e in events if e.notice.is_open_stage][:count]:
            outbox.enqueue(event, subscription="s", channel="c", reasons=(), now=START)


def test_a_live_instances_claims_are_never_taken_and_an_expired_ones_are(store):
    clock = FakeClock(START)
    queue(store, 4)
    first = Outbox(store, instance=elsewhere())
    second = Outbox(store, instance=Instance.this_process("run", START))
    assert len(first.due("c", clock.now())) == 4
    # A second tenderbot starts: it frees nothing of the live first one's.
    assert store.free_dead_claims(clock.now()) == 0
    assert second.due("c", clock.now()) == []
    clock.current += INSTANCE_LEASE / 2
    store.renew(first.instance, clock.now())  # the first one's heartbeat
    clock.current += INSTANCE_LEASE * 0.9
    assert store.free_dead_claims(clock.now()) == 0
    assert second.due("c", clock.now()) == []
    # The first one stops renewing (it died): once its lease has run out, its claims go.
    clock.current += INSTANCE_LEASE
    assert store.free_dead_claims(clock.now()) == 4
    assert len(second.due("c", clock.now())) == 4


def test_claims_of_an_instance_that_stopped_renewing_are_taken_even_without_a_restart(store):
    clock = FakeClock(START)
    queue(store, 2)
    Outbox(store, instance=elsewhere()).due("c", clock.now())
    second = Outbox(store, instance=Instance.this_process("run", START))
    clock.current += INSTANCE_LEASE
    assert len(second.due("c", clock.now())) == 2


def test_leaving_frees_the_instances_unfinished_claims_at_once(store):
    queue(store, 3)
    gone = Outbox(store, instance=elsewhere())
    assert len(gone.due("c", START)) == 3
    store.leave(gone.instance)
    assert len(Outbox(store).due("c", START)) == 3


def test_the_database_refuses_a_second_exclusive_instance_while_the_first_is_alive(store):
    clock = FakeClock(START)
    holder = elsewhere()
    assert store.join(holder, clock.now(), exclusive=True) is None
    mine = Instance.this_process("poll", clock.now())
    assert store.join(mine, clock.now(), exclusive=True) == holder
    assert "tenderbot run (pid 4242 on elsewhere" in holder.describe(LONDON)
    # A reading or lock-bypassing instance may join beside it; it does not take the lock.
    assert store.join(mine, clock.now(), exclusive=False) is None
    clock.current += INSTANCE_LEASE
    assert store.join(mine, clock.now(), exclusive=True) is None


def test_an_exclusive_holder_on_this_host_whose_process_is_gone_does_not_hold(store):
    done = subprocess.Popen(["true"])
    done.wait()
    here = Instance.this_process("run", START)
    dead = Instance(id="dead", command="run", pid=done.pid, host=here.host, started_at=START)
    assert store.join(dead, START, exclusive=True) is None
    assert store.join(here, START, exclusive=True) is None
    assert [i.id for i in store.live_instances(START)] == [here.id]


def test_the_lock_file_is_taken_on_the_databases_real_path(tmp_path):
    real = tmp_path / "real" / "bot.db"
    real.parent.mkdir()
    real.touch()
    alias = tmp_path / "alias.db"
    alias.symlink_to(real)
    refused = re.escape(f"{real}: already in use by tenderbot run")
    with InstanceLock(real, "run"), pytest.raises(InstanceError, match=refused):
        InstanceLock(alias, "run").acquire()
    assert not (tmp_path / "alias.db.lock").exists()
