-- Services a person connects once and Keepsake then syncs on its own (iCloud
-- Photos): the account, the person's choices, the schedule, and the state a
-- run is in, including a sign-in that waits for a code the person hands in
-- through the API or the web app while a scheduled run waits (another process
-- may be the one waiting: the code travels through this row).
-- Twin of ../sqlite/0006_remote_accounts.sql.
CREATE TABLE remote_accounts (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    account TEXT NOT NULL,
    settings TEXT NOT NULL,
    schedule TEXT,
    next_run_at BIGINT,
    -- ready | running | blocked (waiting for a code)
    state TEXT NOT NULL,
    state_message TEXT,
    -- When the state was last confirmed: a run refreshes it while it works,
    -- so a 'running' row nobody refreshes any more is a crashed run's.
    state_at BIGINT NOT NULL,
    -- Who runs it (`<host>:<pid>`): a run on this host whose process is gone
    -- (its file lock is free) is taken over at once.
    holder TEXT,
    mfa_phones TEXT,
    mfa_code TEXT,
    mfa_resend TEXT,
    mfa_deadline BIGINT,
    last_run_id TEXT,
    last_error TEXT,
    last_finished_at BIGINT,
    trust_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, service)
);

-- An archived source album: a snapshot kept as it is; later syncs neither add
-- to it nor take from it.
ALTER TABLE import_albums ADD COLUMN frozen_at BIGINT;

-- A fingerprint of what the source said about an item when it was last
-- applied: a source synced again (iCloud) re-applies an item's metadata only
-- when the source changed it (a favourite made there, a new caption).
ALTER TABLE import_items ADD COLUMN meta_hash TEXT;
