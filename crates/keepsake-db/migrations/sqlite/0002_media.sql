-- Media pipeline: derived files per asset, tags, and which jobs have run.
-- SQLite twin of ../postgres/0002_media.sql.

CREATE TABLE asset_files (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, kind)
);

ALTER TABLE asset_exif ADD COLUMN tags TEXT NOT NULL DEFAULT '';

CREATE TABLE asset_job_status (
    asset_id TEXT PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    metadata_extracted_at INTEGER,
    thumbnails_generated_at INTEGER,
    video_encoded_at INTEGER
);

CREATE INDEX asset_exif_live_photo ON asset_exif (live_photo_cid);
