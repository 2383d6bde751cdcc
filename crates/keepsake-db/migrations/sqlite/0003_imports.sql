-- Imports: runs with a per-item outcome, and the memory of what each source
-- item became, which makes re-runs idempotent and keeps deleted items deleted.
-- SQLite twin of ../postgres/0003_imports.sql.

CREATE TABLE import_runs (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_kind TEXT NOT NULL,
    -- What was imported, as the user named it (paths, a Flickr user): a run
    -- started again with the same kind and label resumes an unfinished one.
    source_label TEXT NOT NULL,
    dry_run INTEGER NOT NULL DEFAULT 0,
    -- running, completed, failed, interrupted
    state TEXT NOT NULL,
    source_cursor TEXT NOT NULL DEFAULT '',
    seen INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX import_runs_owner ON import_runs (owner_id, created_at);

-- One row per item a run met. `pending` while the item is being imported:
-- a crash leaves it so, and the resumed run finishes it (asset_id is chosen
-- before the asset is written, so the resumed run knows the asset is its own).
CREATE TABLE import_run_items (
    run_id TEXT NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,
    source_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    -- pending, imported, duplicate, skipped, failed
    outcome TEXT NOT NULL,
    reason TEXT,
    asset_id TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, source_key)
);
CREATE INDEX import_run_items_seq ON import_run_items (run_id, seq);

-- What a source item became. Kept after the asset is deleted: that is the
-- tombstone that stops a re-run from bringing it back. No foreign key to
-- assets for the same reason.
CREATE TABLE import_items (
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    checksum BLOB NOT NULL,
    run_id TEXT NOT NULL,
    -- Facts kept from the source that have no column (JSON object).
    extra TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (owner_id, source_kind, source_key)
);
CREATE INDEX import_items_checksum ON import_items (owner_id, checksum);
CREATE INDEX import_items_asset ON import_items (asset_id);

-- Which album a source album became; kept after the user deletes the album,
-- so a re-run does not make it again.
CREATE TABLE import_albums (
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    album_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (owner_id, source_kind, source_key)
);

-- Sign-ins to outside services, per user: Flickr's OAuth token (JSON). Only
-- the server and its commands read it; it never leaves through the API.
CREATE TABLE service_credentials (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, service)
);
