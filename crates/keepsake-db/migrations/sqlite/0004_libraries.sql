-- External libraries: folders indexed in place. Their assets' originals stay
-- where they are (`assets.original_path` is then an absolute path, never a
-- store key) and Keepsake never writes, moves or removes them.
-- SQLite twin of ../postgres/0004_libraries.sql.

CREATE TABLE libraries (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- When the last full scan finished, and what it found.
    refreshed_at INTEGER,
    scan_added INTEGER NOT NULL DEFAULT 0,
    scan_changed INTEGER NOT NULL DEFAULT 0,
    scan_moved INTEGER NOT NULL DEFAULT 0,
    scan_unchanged INTEGER NOT NULL DEFAULT 0,
    scan_offline INTEGER NOT NULL DEFAULT 0,
    scan_online INTEGER NOT NULL DEFAULT 0,
    scan_duplicates INTEGER NOT NULL DEFAULT 0,
    scan_failed INTEGER NOT NULL DEFAULT 0,
    scan_hashed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX libraries_owner ON libraries (owner_id);

-- A library's import paths (kind 'import') and exclusion globs (kind
-- 'exclusion'), in the order they were given.
CREATE TABLE library_paths (
    library_id TEXT NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (library_id, kind, position)
);

-- Set for an asset of an external library. No cascade: deleting a library
-- removes its assets first (and queues the removal of their derived files).
ALTER TABLE assets ADD COLUMN library_id TEXT REFERENCES libraries (id);
-- The file was missing or unreadable at the last scan (the asset is then in
-- the trash too, as Immich does); a scan that finds it again clears both.
ALTER TABLE assets ADD COLUMN is_offline INTEGER NOT NULL DEFAULT 0;
CREATE INDEX assets_library ON assets (library_id);
