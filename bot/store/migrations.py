"""The database schema, as migrations applied in order by ``PRAGMA user_version``."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE notices (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        release_date TEXT NOT NULL,
        stage TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        versions INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (source, id)
    );
    CREATE TABLE notice_versions (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        release_date TEXT NOT NULL,
        stage TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (source, id, release_id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        previous_release_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription TEXT NOT NULL,
        channel TEXT NOT NULL,
        event_id INTEGER NOT NULL REFERENCES events(id),
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        release_id TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        last_error TEXT,
        UNIQUE (subscription, source, notice_id, kind, release_id)
    );
    CREATE INDEX outbox_due ON outbox (status, due_at);
    CREATE TABLE source_state (
        source TEXT PRIMARY KEY,
        watermark TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        throttled_until TEXT,
        notices_last_pass INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN message_ref TEXT;
    ALTER TABLE outbox ADD COLUMN mode TEXT NOT NULL DEFAULT 'instant';
    CREATE INDEX outbox_notice ON outbox (subscription, source, notice_id);
    CREATE TABLE channel_state (
        channel TEXT PRIMARY KEY,
        paused_reason TEXT,
        paused_at TEXT,
        chat_id TEXT,
        retry_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    CREATE TABLE http_validators (
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        PRIMARY KEY (source, url)
    );
    CREATE TABLE notice_keys (
        key TEXT NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        PRIMARY KEY (key, source, notice_id)
    );
    CREATE TABLE notice_links (
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        primary_source TEXT NOT NULL,
        primary_id TEXT NOT NULL,
        matched_on TEXT NOT NULL,
        PRIMARY KEY (source, notice_id)
    );
    """,
    """
    ALTER TABLE notices ADD COLUMN deadline TEXT;
    UPDATE notices SET deadline = (
        SELECT json_extract(v.data, '$.deadline') FROM notice_versions v
        WHERE v.source = notices.source AND v.id = notices.id AND v.release_id = notices.release_id
    );
    CREATE INDEX notices_deadline ON notices (deadline);
    """,
    """
    ALTER TABLE source_state ADD COLUMN resume_url TEXT;
    ALTER TABLE source_state ADD COLUMN resume_since TEXT;
    ALTER TABLE source_state ADD COLUMN resume_until TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """,
    """
    ALTER TABLE source_state ADD COLUMN last_notices_at TEXT;
    ALTER TABLE source_state ADD COLUMN newest_release TEXT;
    CREATE TABLE admin_problems (
        key TEXT PRIMARY KEY,
        message TEXT NOT NULL,
        since TEXT NOT NULL,
        notified INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX notices_release_date ON notices (release_date);
    CREATE INDEX outbox_by_notice ON outbox (source, notice_id);
    CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by IS NOT NULL;
    """,
    """
    CREATE TABLE notice_keys_hashed (
        key BLOB NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        PRIMARY KEY (key, source, notice_id)
    );
    INSERT OR IGNORE INTO notice_keys_hashed
        SELECT tenderbot_key_hash(key), source, notice_id FROM notice_keys ORDER BY rowid;
    DROP TABLE notice_keys;
    ALTER TABLE notice_keys_hashed RENAME TO notice_keys;
    """,
    """
    CREATE TABLE chat_settings (
        bot TEXT NOT NULL,
        chat TEXT NOT NULL,
        regions TEXT NOT NULL DEFAULT '[]',
        max_value TEXT,
        mutes TEXT NOT NULL DEFAULT '[]',
        mode TEXT NOT NULL DEFAULT 'instant',
        digest_at TEXT NOT NULL DEFAULT '08:00',
        digest_day INTEGER NOT NULL DEFAULT 0,
        paused TEXT,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (bot, chat)
    );
    CREATE TABLE chat_subscriptions (
        bot TEXT NOT NULL,
        chat TEXT NOT NULL,
        rule_set TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (bot, chat, rule_set)
    );
    CREATE TABLE bot_offsets (
        bot TEXT PRIMARY KEY,
        next_update INTEGER NOT NULL
    );
    CREATE TABLE feedback (
        outbox_id INTEGER NOT NULL,
        voter TEXT NOT NULL,
        verdict TEXT NOT NULL,
        subscription TEXT NOT NULL,
        rule_sets TEXT NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        title TEXT NOT NULL,
        reasons TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (outbox_id, voter)
    );
    CREATE INDEX feedback_at ON feedback (at);
    """,
    """
    CREATE TABLE link_keys (
        name TEXT PRIMARY KEY,
        key BLOB NOT NULL
    );
    INSERT INTO link_keys (name, key) VALUES ('email', randomblob(32));
    CREATE TABLE email_unsubscribed (
        address TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE email_deliveries (
        message_id TEXT NOT NULL,
        address TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (message_id, address)
    );
    CREATE TABLE email_subscribers (
        address TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        rule_sets TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'instant',
        regions TEXT NOT NULL DEFAULT '[]',
        max_value TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        confirmed_at TEXT,
        created_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN tier TEXT NOT NULL DEFAULT 'match';
    ALTER TABLE chat_settings ADD COLUMN possible TEXT NOT NULL DEFAULT 'digest';
    """,
    # A version's release as published, where it differs from the merged `data`: what an
    # older release arriving late is merged under again (bot.store.history).
    """
    ALTER TABLE notice_versions ADD COLUMN release TEXT;
    """,
    # Tenderbot processes using the database and their leases (bot.store.instances).
    """
    CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        started_at TEXT NOT NULL,
        lease_until TEXT NOT NULL,
        exclusive INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX instances_lease ON instances (lease_until);
    """,
    """
    CREATE TABLE chat_refusals (
        bot TEXT NOT NULL,
        chat TEXT NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        asks INTEGER NOT NULL DEFAULT 1,
        last_user TEXT NOT NULL,
        PRIMARY KEY (bot, chat)
    );
    """,
    # The re-tender radar: per-chat opt-in and one item per (subscription, contract).
    """
    ALTER TABLE chat_settings ADD COLUMN radar INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE chat_settings ADD COLUMN radar_months INTEGER NOT NULL DEFAULT 9;
    CREATE TABLE radar_items (
        subscription TEXT NOT NULL,
        source TEXT NOT NULL,
        ocid TEXT NOT NULL,
        award_id TEXT NOT NULL,
        title TEXT NOT NULL,
        details TEXT NOT NULL,
        status TEXT NOT NULL,
        successor TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (subscription, source, ocid, award_id)
    );
    """,
)
