-- Keepsake foundation schema, SQLite twin of ../postgres/0001_foundation.sql.
-- Times are INTEGER milliseconds since the Unix epoch (UTC); ids are text UUIDs;
-- checksums and token hashes are raw bytes; booleans are INTEGER 0/1 (the sqlx
-- Any driver cannot decode a column declared BOOLEAN on SQLite).
--
-- Change tracking (what the mobile sync stream, incremental backups and live
-- updates stand on): every synced table has `change_id`, set from the single
-- counter in `change_counter` by triggers in the same transaction as the write,
-- and every delete of a synced row leaves a record in `change_delete`. SQLite
-- has one writer at a time, so ids are committed in increasing order.

CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE change_delete (
    change_id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    id1 TEXT NOT NULL,
    id2 TEXT,
    user_id TEXT,
    deleted_at INTEGER NOT NULL
);
CREATE INDEX change_delete_entity ON change_delete (entity, change_id);
CREATE INDEX change_delete_time ON change_delete (deleted_at);

CREATE TABLE system_metadata (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    should_change_password INTEGER NOT NULL DEFAULT 0,
    storage_label TEXT UNIQUE,
    quota_size_bytes INTEGER,
    avatar_color TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    profile_changed_at INTEGER NOT NULL,
    deleted_at INTEGER,
    change_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    device_type TEXT NOT NULL DEFAULT '',
    device_os TEXT NOT NULL DEFAULT '',
    app_version TEXT NOT NULL DEFAULT '',
    is_pending_sync_reset INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asset_type TEXT NOT NULL,
    original_path TEXT NOT NULL UNIQUE,
    original_file_name TEXT NOT NULL,
    sidecar_path TEXT,
    checksum BLOB NOT NULL,
    file_size INTEGER NOT NULL,
    file_created_at INTEGER NOT NULL,
    file_modified_at INTEGER NOT NULL,
    local_date_time INTEGER NOT NULL,
    is_favorite INTEGER NOT NULL DEFAULT 0,
    visibility TEXT NOT NULL DEFAULT 'timeline',
    deleted_at INTEGER,
    duration_ms INTEGER,
    width INTEGER,
    height INTEGER,
    thumbhash BLOB,
    live_photo_video_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    change_id INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX assets_owner_checksum ON assets (owner_id, checksum);
CREATE INDEX assets_owner_time ON assets (owner_id, local_date_time);
CREATE INDEX assets_change ON assets (change_id);

CREATE TABLE asset_exif (
    asset_id TEXT PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    make TEXT,
    model TEXT,
    lens_model TEXT,
    exif_image_width INTEGER,
    exif_image_height INTEGER,
    file_size INTEGER,
    orientation TEXT,
    date_time_original INTEGER,
    modify_date INTEGER,
    time_zone TEXT,
    latitude REAL,
    longitude REAL,
    city TEXT,
    state TEXT,
    country TEXT,
    description TEXT NOT NULL DEFAULT '',
    rating INTEGER,
    f_number REAL,
    focal_length REAL,
    iso INTEGER,
    exposure_time TEXT,
    fps REAL,
    projection_type TEXT,
    profile_description TEXT,
    colorspace TEXT,
    bits_per_sample INTEGER,
    live_photo_cid TEXT,
    locked_properties TEXT NOT NULL DEFAULT '',
    change_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    thumbnail_asset_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    is_activity_enabled INTEGER NOT NULL DEFAULT 1,
    sort_order TEXT NOT NULL DEFAULT 'desc',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    change_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE album_users (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    change_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (album_id, user_id)
);
CREATE UNIQUE INDEX album_users_one_owner ON album_users (album_id) WHERE role = 'owner';
CREATE INDEX album_users_user ON album_users (user_id);

CREATE TABLE album_assets (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    change_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_asset ON album_assets (asset_id);

-- Files renamed into the library whose asset row is not committed yet. A crash
-- between the link and the commit leaves a row here; start-up removes such a
-- file when its content still has this checksum (so a file that was already
-- there under that name is never touched), and the library never keeps an
-- original that no asset owns.
CREATE TABLE pending_files (
    path TEXT PRIMARY KEY,
    checksum BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    asset_id TEXT,
    unique_key TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'queued',
    priority INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_ready ON jobs (queue, state, priority, run_at);
CREATE INDEX jobs_asset ON jobs (asset_id);

CREATE TABLE queue_state (
    queue TEXT PRIMARY KEY,
    is_paused INTEGER NOT NULL DEFAULT 0
);

-- Change-tracking triggers (generated from one list; keep in step with postgres).
CREATE TRIGGER users_change_insert AFTER INSERT ON users BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE users SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER users_change_update AFTER UPDATE ON users WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE users SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER users_change_delete AFTER DELETE ON users BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'user', OLD.id, NULL, OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER assets_change_insert AFTER INSERT ON assets BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE assets SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER assets_change_update AFTER UPDATE ON assets WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE assets SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER assets_change_delete AFTER DELETE ON assets BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'asset', OLD.id, NULL, OLD.owner_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER asset_exif_change_insert AFTER INSERT ON asset_exif BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE asset_exif SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE asset_id = NEW.asset_id;
END;
CREATE TRIGGER asset_exif_change_update AFTER UPDATE ON asset_exif WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE asset_exif SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE asset_id = NEW.asset_id;
END;
CREATE TRIGGER asset_exif_change_delete AFTER DELETE ON asset_exif BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'asset_exif', OLD.asset_id, NULL, NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER albums_change_insert AFTER INSERT ON albums BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE albums SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER albums_change_update AFTER UPDATE ON albums WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE albums SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER albums_change_delete AFTER DELETE ON albums BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'album', OLD.id, NULL, NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER album_users_change_insert AFTER INSERT ON album_users BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE album_users SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE album_id = NEW.album_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER album_users_change_update AFTER UPDATE ON album_users WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE album_users SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE album_id = NEW.album_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER album_users_change_delete AFTER DELETE ON album_users BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'album_user', OLD.album_id, OLD.user_id, OLD.user_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER album_assets_change_insert AFTER INSERT ON album_assets BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE album_assets SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE album_id = NEW.album_id AND asset_id = NEW.asset_id;
END;
CREATE TRIGGER album_assets_change_update AFTER UPDATE ON album_assets WHEN NEW.change_id = OLD.change_id BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE album_assets SET change_id = (SELECT value FROM change_counter WHERE id = 1) WHERE album_id = NEW.album_id AND asset_id = NEW.asset_id;
END;
CREATE TRIGGER album_assets_change_delete AFTER DELETE ON album_assets BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES ((SELECT value FROM change_counter WHERE id = 1), 'album_asset', OLD.album_id, OLD.asset_id, NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
