-- Mobile sync (Immich's sync-v2 stream): per-session checkpoints, and the two
-- facts the change log of 0001 could not tell the stream by itself.
-- PostgreSQL twin of ../sqlite/0005_sync.sql.

-- What each login session has acknowledged, per cursor (a stream type and its
-- deletes are separate cursors). `ack` is the position after the type name.
CREATE TABLE session_sync_checkpoints (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    sync_type TEXT NOT NULL,
    ack TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, sync_type)
);

-- The highest change id of any delete record pruned so far. A session whose
-- last complete sync is older than this may have missed a delete: it must
-- start over (SyncResetV1).
CREATE TABLE change_prune_mark (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_prune_mark (id, value) VALUES (1, 0);

CREATE FUNCTION keepsake_note_prune() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_prune_mark SET value = GREATEST(value, OLD.change_id) WHERE id = 1;
    RETURN OLD;
END
$$;
CREATE TRIGGER change_delete_pruned AFTER DELETE ON change_delete
    FOR EACH ROW EXECUTE FUNCTION keepsake_note_prune();

-- A person who loses access to an album that still exists (removed from it)
-- keeps its other members' photos on their phone unless the phone starts over:
-- flag every session of theirs for a reset. When the album itself is deleted
-- the row is gone before the cascade runs, and the stream sends AlbumDeleteV1.
CREATE FUNCTION keepsake_album_member_lost() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM albums WHERE id = OLD.album_id) THEN
        UPDATE sessions SET is_pending_sync_reset = TRUE WHERE user_id = OLD.user_id;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER album_users_sync_reset AFTER DELETE ON album_users
    FOR EACH ROW EXECUTE FUNCTION keepsake_album_member_lost();

-- The stream pages through one owner's assets by change id, and looks up the
-- delete records of an album by its id.
CREATE INDEX assets_owner_change ON assets (owner_id, change_id);
CREATE INDEX change_delete_entity_id ON change_delete (entity, id1);

-- The sync stream pages a user's EXIF rows by change id.
CREATE INDEX asset_exif_change ON asset_exif (change_id);
