"""Delivery: from a routed event to a message in a channel.

The flow reads in module order: `routing` (which subscriptions an event goes to) →
`outbox` (one durable row per alert, claimed before it is sent) → `sender` (paced sends, retries,
channel pauses, via `pacing` and `channel_state`) → `notifiers/` (one module per channel kind).
`digests` and `reminders` put scheduled work into the same outbox; `alerts`, `changes` and
`formatting` are the records and words notifiers render; `admin` tells the admin channel when
something needs a person; `send_gate` lets a stopping daemon finish the sends under way.
"""
