-- External libraries: folders indexed in place. Their assets' originals stay
-- where they are (`assets.original_path` is then an absolute path, never a
-- store key) and Keepsake never writes, moves or removes them.
-- PostgreSQL twin of ../sqlite/0004_libraries.sql.

CREATE TABLE libraries (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- When the last full scan finished, and what it found.
    refreshed_at BIGINT,
    scan_added BIGINT NOT NULL DEFAULT 0,
    scan_changed BIGINT NOT NULL DEFAULT 0,
    scan_moved BIGINT NOT NULL DEFAULT 0,
    scan_unchanged BIGINT NOT NULL DEFAULT 0,
    scan_offline BIGINT NOT NULL DEFAULT 0,
    scan_online BIGINT NOT NULL DEFAULT 0,
    scan_duplicates BIGINT NOT NULL DEFAULT 0,
    scan_failed BIGINT NOT NULL DEFAULT 0,
    scan_hashed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX libraries_owner ON libraries (owner_id);

-- A library's import paths (kind 'import') and exclusion globs (kind
-- 'exclusion'), in the order they were given.
CREATE TABLE library_paths (
    library_id TEXT NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (library_id, kind, position)
);

-- Set for an asset of an external library. No cascade: deleting a library
-- removes its assets first (and queues the removal of their derived files).
ALTER TABLE assets ADD COLUMN library_id TEXT REFERENCES libraries (id);
-- The file was missing or unreadable at the last scan (the asset is then in
-- the trash too, as Immich does); a scan that finds it again clears both.
ALTER TABLE assets ADD COLUMN is_offline BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX assets_library ON assets (library_id);
