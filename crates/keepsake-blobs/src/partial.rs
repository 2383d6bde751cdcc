//! Partial uploads: the bytes of a resumable upload that has not ended yet.
//!
//! They live in `uploads/` beside `tmp/`, not in it, because `tmp/` is swept
//! at every start and a partial upload must survive a restart: the client
//! comes back, asks how much arrived, and sends the rest. Each upload is
//! `uploads/<id>.part` (the bytes so far) and `uploads/<id>.json` (what the
//! library needs to finish it, written whole by rename). The store knows
//! nothing of what is in the JSON; the library does.
//!
//! While the process runs, the length of the `.part` file is the offset. The
//! bytes are fsynced whenever a request pauses or ends, and the library then
//! records that *settled* offset in the JSON; after a crash, [`BlobStore::
//! settle_partial`] cuts the file back to it, so a tail that never reached
//! the disk is sent again instead of being taken as data.

use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use crate::{BlobStore, FinishedBlob, Result, io_error, sync_dir};

/// An open `.part` file that bytes are appended to.
pub struct PartialWriter {
    path: PathBuf,
    file: tokio::fs::File,
    len: u64,
}

impl BlobStore {
    fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    fn partial_paths(&self, id: &str) -> Result<(PathBuf, PathBuf)> {
        // Ids are made by the library, but they arrive back in URLs.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(crate::BlobError::NotFound(format!("upload {id}")));
        }
        let dir = self.uploads_dir();
        Ok((
            dir.join(format!("{id}.part")),
            dir.join(format!("{id}.json")),
        ))
    }

    /// Starts an empty partial upload with its description.
    pub async fn create_partial(&self, id: &str, info: &[u8]) -> Result<()> {
        let dir = self.uploads_dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error("cannot create", &dir, e))?;
        let (part, _) = self.partial_paths(id)?;
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)
            .await
            .map_err(|e| io_error("cannot create", &part, e))?;
        self.write_partial_info(id, info).await
    }

    /// Replaces the description of a partial upload (atomically, by rename).
    pub async fn write_partial_info(&self, id: &str, info: &[u8]) -> Result<()> {
        let (_, json) = self.partial_paths(id)?;
        let tmp = json.with_extension("json.new");
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(info).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &json).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io_error("cannot write", &json, e));
        }
        sync_dir(&self.uploads_dir()).await
    }

    /// The description of a partial upload and its current length, or
    /// `NotFound` when there is no such upload (any more).
    pub async fn read_partial(&self, id: &str) -> Result<(Vec<u8>, u64)> {
        let (part, json) = self.partial_paths(id)?;
        let info = tokio::fs::read(&json)
            .await
            .map_err(|e| io_error("cannot read", &json, e))?;
        let len = tokio::fs::metadata(&part)
            .await
            .map_err(|e| io_error("cannot read", &part, e))?
            .len();
        Ok((info, len))
    }

    /// Opens a partial upload for appending at its current end.
    pub async fn append_partial(&self, id: &str) -> Result<PartialWriter> {
        let (part, _) = self.partial_paths(id)?;
        let (file, len) = open_part(&part, tokio::fs::OpenOptions::new().append(true)).await?;
        Ok(PartialWriter {
            path: part,
            file,
            len,
        })
    }

    /// Cuts a partial upload back to `offset` when it is longer: after a crash,
    /// bytes past the last fsync may not be what was sent.
    pub async fn settle_partial(&self, id: &str, offset: u64) -> Result<u64> {
        let (part, _) = self.partial_paths(id)?;
        let (file, len) = open_part(&part, tokio::fs::OpenOptions::new().write(true)).await?;
        if len > offset {
            file.set_len(offset)
                .await
                .map_err(|e| io_error("cannot write", &part, e))?;
            file.sync_all()
                .await
                .map_err(|e| io_error("cannot write", &part, e))?;
        }
        Ok(len.min(offset))
    }

    /// Moves a complete partial upload into `tmp/` as a finished blob (hashed
    /// and measured), and removes its description.
    ///
    /// `known` is the SHA-1 and size of the bytes when the caller hashed them
    /// as they arrived (and synced them); without it the file is read again.
    pub async fn finish_partial(
        &self,
        id: &str,
        known: Option<([u8; 20], u64)>,
    ) -> Result<FinishedBlob> {
        let (part, json) = self.partial_paths(id)?;
        let dest = self.temp_path("part");
        tokio::fs::rename(&part, &dest)
            .await
            .map_err(|e| io_error("cannot move", &part, e))?;
        let _ = tokio::fs::remove_file(&json).await;
        match known {
            Some((sha1, size)) => Ok(FinishedBlob {
                path: dest,
                size,
                sha1,
            }),
            None => self.adopt_temp(dest).await,
        }
    }

    /// Puts a finished blob back as the complete partial upload `id` (its
    /// processing failed for a reason that may pass, such as a full disk).
    /// The blob's temp file is moved, so discarding it afterwards is a no-op.
    pub async fn return_partial(&self, id: &str, info: &[u8], blob: &FinishedBlob) -> Result<()> {
        let (part, _) = self.partial_paths(id)?;
        tokio::fs::rename(&blob.path, &part)
            .await
            .map_err(|e| io_error("cannot move", &part, e))?;
        self.write_partial_info(id, info).await
    }

    /// Removes a partial upload; gone already is fine.
    pub async fn delete_partial(&self, id: &str) -> Result<()> {
        let (part, json) = self.partial_paths(id)?;
        for p in [part, json] {
            match tokio::fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("cannot remove", &p, e)),
            }
        }
        Ok(())
    }

    /// At start-up, with nobody else writing: removes half-written
    /// descriptions and descriptions whose bytes are gone; returns how many.
    pub async fn sweep_partial_leftovers(&self) -> Result<usize> {
        let dir = self.uploads_dir();
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_error("cannot list", &dir, e)),
        };
        let mut n = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error("cannot list", &dir, e))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let orphan = match name.strip_suffix(".json") {
                Some(id) => !dir.join(format!("{id}.part")).exists(),
                None => match name.strip_suffix(".part") {
                    Some(id) => !dir.join(format!("{id}.json")).exists(),
                    None => true,
                },
            };
            if orphan && tokio::fs::remove_file(entry.path()).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The ids of every partial upload, with how long ago each was last written.
    pub async fn list_partials(&self) -> Result<Vec<(String, std::time::Duration)>> {
        let dir = self.uploads_dir();
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("cannot list", &dir, e)),
        };
        let mut out = Vec::new();
        let now = std::time::SystemTime::now();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error("cannot list", &dir, e))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            let part = dir.join(format!("{id}.part"));
            let touched = match tokio::fs::metadata(&part).await {
                Ok(m) => m.modified().ok(),
                // Ending, or ended between the two removals: nothing to resume.
                Err(_) => continue,
            };
            let age = touched
                .and_then(|t| now.duration_since(t).ok())
                .unwrap_or_default();
            out.push((id.to_string(), age));
        }
        Ok(out)
    }
}

/// Opens an existing `.part` file and measures it.
async fn open_part(
    part: &std::path::Path,
    options: &tokio::fs::OpenOptions,
) -> Result<(tokio::fs::File, u64)> {
    let file = options
        .open(part)
        .await
        .map_err(|e| io_error("cannot open", part, e))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| io_error("cannot read", part, e))?
        .len();
    Ok((file, len))
}

impl PartialWriter {
    /// Appends bytes. They are durable only after [`PartialWriter::sync`].
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .await
            .map_err(|e| io_error("cannot write", &self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// The length so far: the upload's offset.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Flushes and fsyncs; returns the offset that is now on stable storage.
    pub async fn sync(&mut self) -> Result<u64> {
        self.file
            .flush()
            .await
            .map_err(|e| io_error("cannot write", &self.path, e))?;
        self.file
            .sync_data()
            .await
            .map_err(|e| io_error("cannot write", &self.path, e))?;
        Ok(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_partial_upload_grows_survives_and_finishes_as_a_blob() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        store.create_partial("u1", b"{\"a\":1}").await.unwrap();
        let mut w = store.append_partial("u1").await.unwrap();
        w.write(b"The quick brown fox ").await.unwrap();
        assert_eq!(w.sync().await.unwrap(), 20);
        drop(w);
        // A restart sweeps tmp/ but not uploads/.
        assert_eq!(store.sweep_temp().await.unwrap(), 0);
        let (info, len) = store.read_partial("u1").await.unwrap();
        assert_eq!((info.as_slice(), len), (&b"{\"a\":1}"[..], 20));
        let mut w = store.append_partial("u1").await.unwrap();
        assert_eq!(w.len(), 20);
        w.write(b"jumps over the lazy dog").await.unwrap();
        w.sync().await.unwrap();
        let done = store.finish_partial("u1", None).await.unwrap();
        assert_eq!(done.size, 43);
        assert_eq!(
            keepsake_core::base64_encode(&done.sha1),
            "L9ThxnotKPzthJ7hu3bnORuT6xI="
        );
        store.discard(done).await;
        assert!(matches!(
            store.read_partial("u1").await,
            Err(crate::BlobError::NotFound(_))
        ));
        assert!(store.list_partials().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_unsynced_tail_is_cut_back_to_the_settled_offset() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        store.create_partial("u2", b"{}").await.unwrap();
        let mut w = store.append_partial("u2").await.unwrap();
        w.write(b"0123456789").await.unwrap();
        drop(w);
        assert_eq!(store.settle_partial("u2", 4).await.unwrap(), 4);
        assert_eq!(store.read_partial("u2").await.unwrap().1, 4);
        // Never grows a file.
        assert_eq!(store.settle_partial("u2", 9).await.unwrap(), 4);
        assert_eq!(store.list_partials().await.unwrap().len(), 1);
        // Leftovers of a crash mid-write are swept at start-up; the upload stays.
        std::fs::write(dir.path().join("uploads/u2.json.new"), b"{").unwrap();
        std::fs::write(dir.path().join("uploads/u3.json"), b"{}").unwrap();
        assert_eq!(store.sweep_partial_leftovers().await.unwrap(), 2);
        assert_eq!(store.read_partial("u2").await.unwrap().1, 4);
        store.delete_partial("u2").await.unwrap();
        store.delete_partial("u2").await.unwrap();
    }

    #[tokio::test]
    async fn ids_from_urls_cannot_reach_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        for bad in ["../keepsake", "a/b", "", "x.part"] {
            assert!(
                matches!(
                    store.read_partial(bad).await,
                    Err(crate::BlobError::NotFound(_))
                ),
                "{bad}"
            );
        }
    }
}
