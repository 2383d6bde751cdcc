-- Keepsake foundation schema, PostgreSQL twin of ../sqlite/0001_foundation.sql.
-- Times are BIGINT milliseconds since the Unix epoch (UTC); ids are text UUIDs;
-- checksums and token hashes are raw bytes.
--
-- Change tracking (what the mobile sync stream, incremental backups and live
-- updates stand on): every synced table has `change_id`, set from the single
-- counter in `change_counter` by triggers in the same transaction as the write,
-- and every delete of a synced row leaves a record in `change_delete`. The
-- counter row's lock is held until commit, so a later id always commits after
-- an earlier one: a reader that has seen id N has seen every id below it.

CREATE TABLE change_counter (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE change_delete (
    change_id BIGINT PRIMARY KEY,
    entity TEXT NOT NULL,
    id1 TEXT NOT NULL,
    id2 TEXT,
    user_id TEXT,
    deleted_at BIGINT NOT NULL
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
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    should_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    storage_label TEXT UNIQUE,
    quota_size_bytes BIGINT,
    avatar_color TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    profile_changed_at BIGINT NOT NULL,
    deleted_at BIGINT,
    change_id BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    device_type TEXT NOT NULL DEFAULT '',
    device_os TEXT NOT NULL DEFAULT '',
    app_version TEXT NOT NULL DEFAULT '',
    is_pending_sync_reset BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash BYTEA NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asset_type TEXT NOT NULL,
    original_path TEXT NOT NULL UNIQUE,
    original_file_name TEXT NOT NULL,
    sidecar_path TEXT,
    checksum BYTEA NOT NULL,
    file_size BIGINT NOT NULL,
    file_created_at BIGINT NOT NULL,
    file_modified_at BIGINT NOT NULL,
    local_date_time BIGINT NOT NULL,
    is_favorite BOOLEAN NOT NULL DEFAULT FALSE,
    visibility TEXT NOT NULL DEFAULT 'timeline',
    deleted_at BIGINT,
    duration_ms BIGINT,
    width BIGINT,
    height BIGINT,
    thumbhash BYTEA,
    live_photo_video_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    change_id BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX assets_owner_checksum ON assets (owner_id, checksum);
CREATE INDEX assets_owner_time ON assets (owner_id, local_date_time);
CREATE INDEX assets_change ON assets (change_id);

CREATE TABLE asset_exif (
    asset_id TEXT PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    make TEXT,
    model TEXT,
    lens_model TEXT,
    exif_image_width BIGINT,
    exif_image_height BIGINT,
    file_size BIGINT,
    orientation TEXT,
    date_time_original BIGINT,
    modify_date BIGINT,
    time_zone TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    city TEXT,
    state TEXT,
    country TEXT,
    description TEXT NOT NULL DEFAULT '',
    rating BIGINT,
    f_number DOUBLE PRECISION,
    focal_length DOUBLE PRECISION,
    iso BIGINT,
    exposure_time TEXT,
    fps DOUBLE PRECISION,
    projection_type TEXT,
    profile_description TEXT,
    colorspace TEXT,
    bits_per_sample BIGINT,
    live_photo_cid TEXT,
    locked_properties TEXT NOT NULL DEFAULT '',
    change_id BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    thumbnail_asset_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    is_activity_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order TEXT NOT NULL DEFAULT 'desc',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    change_id BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE album_users (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    change_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (album_id, user_id)
);
CREATE UNIQUE INDEX album_users_one_owner ON album_users (album_id) WHERE role = 'owner';
CREATE INDEX album_users_user ON album_users (user_id);

CREATE TABLE album_assets (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    change_id BIGINT NOT NULL DEFAULT 0,
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
    checksum BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    asset_id TEXT,
    unique_key TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'queued',
    priority BIGINT NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_ready ON jobs (queue, state, priority, run_at);
CREATE INDEX jobs_asset ON jobs (asset_id);

CREATE TABLE queue_state (
    queue TEXT PRIMARY KEY,
    is_paused BOOLEAN NOT NULL DEFAULT FALSE
);

-- Change tracking: one counter, bumped by triggers in the writing transaction.
CREATE FUNCTION keepsake_next_change() RETURNS BIGINT LANGUAGE sql AS $$
    UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value
$$;

CREATE FUNCTION keepsake_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_id := keepsake_next_change();
    RETURN NEW;
END
$$;

-- Arguments: entity name, first key column, second key column or '', user column or ''.
CREATE FUNCTION keepsake_record_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row JSONB := to_jsonb(OLD);
BEGIN
    INSERT INTO change_delete (change_id, entity, id1, id2, user_id, deleted_at)
    VALUES (
        keepsake_next_change(),
        TG_ARGV[0],
        old_row ->> TG_ARGV[1],
        CASE WHEN TG_ARGV[2] = '' THEN NULL ELSE old_row ->> TG_ARGV[2] END,
        CASE WHEN TG_ARGV[3] = '' THEN NULL ELSE old_row ->> TG_ARGV[3] END,
        (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT
    );
    RETURN OLD;
END
$$;

CREATE TRIGGER users_change_stamp BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER users_change_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('user', 'id', '', 'id');

CREATE TRIGGER assets_change_stamp BEFORE INSERT OR UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER assets_change_delete AFTER DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('asset', 'id', '', 'owner_id');

CREATE TRIGGER asset_exif_change_stamp BEFORE INSERT OR UPDATE ON asset_exif
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER asset_exif_change_delete AFTER DELETE ON asset_exif
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('asset_exif', 'asset_id', '', '');

CREATE TRIGGER albums_change_stamp BEFORE INSERT OR UPDATE ON albums
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER albums_change_delete AFTER DELETE ON albums
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('album', 'id', '', '');

CREATE TRIGGER album_users_change_stamp BEFORE INSERT OR UPDATE ON album_users
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER album_users_change_delete AFTER DELETE ON album_users
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('album_user', 'album_id', 'user_id', 'user_id');

CREATE TRIGGER album_assets_change_stamp BEFORE INSERT OR UPDATE ON album_assets
    FOR EACH ROW EXECUTE FUNCTION keepsake_stamp_change();
CREATE TRIGGER album_assets_change_delete AFTER DELETE ON album_assets
    FOR EACH ROW EXECUTE FUNCTION keepsake_record_delete('album_asset', 'album_id', 'asset_id', '');
