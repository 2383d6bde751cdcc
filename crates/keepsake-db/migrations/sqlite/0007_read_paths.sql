-- Indexes for the reads every page load and the housekeeping make, so that
-- they read an index instead of every asset row (measured on 50,000 assets).
-- Twin of ../postgres/0007_read_paths.sql.

-- The timeline's month counts (/timeline/buckets, for the timeline, the
-- archive, favourites and trash): answered from this index alone.
CREATE INDEX assets_owner_visibility_time ON assets (owner_id, visibility, local_date_time, deleted_at);

-- A user's storage use (/users/me, the quota check of every upload).
CREATE INDEX assets_owner_usage ON assets (owner_id, library_id, file_size);

-- Housekeeping's search for trash old enough to empty: without it, every
-- asset is read each hour and at start-up.
CREATE INDEX assets_trashed ON assets (deleted_at) WHERE deleted_at IS NOT NULL;
