//! The file store: where originals (and later derived files) live.
//!
//! The main type is [`BlobStore`]. Files are addressed by *keys*, relative
//! paths such as `library/admin/2019/2019-07-12/IMG_1234.jpg`, so that the
//! library directory means something to a person without Keepsake. Local disk
//! is the one backend today; keys never leak absolute paths so that an
//! S3-compatible backend can take the same keys later.
//!
//! Writing is two steps: [`BlobStore::create_temp`] streams bytes into a temp
//! file (hashing with SHA-1 as they pass) and fsyncs it, then
//! [`BlobStore::try_link`] links it under its final key, refusing to replace an
//! existing file (the caller picks the next `+N` name). A crash leaves either a
//! temp file, which [`BlobStore::sweep_temp`] removes at start-up, or a
//! complete file. The library records each link before it happens, so a file
//! linked by a crashed upload is found and removed too.

mod partial;

pub use partial::PartialWriter;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;

/// An error from the file store. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the disk holding {path} is full; free some space and try again")]
    StorageFull { path: PathBuf },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid file key {0:?}")]
    InvalidKey(String),
    #[error("no file at {0}")]
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, BlobError>;

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> BlobError {
    if source.kind() == ErrorKind::StorageFull || source.raw_os_error() == Some(28) {
        BlobError::StorageFull {
            path: path.to_path_buf(),
        }
    } else if source.kind() == ErrorKind::NotFound {
        BlobError::NotFound(path.display().to_string())
    } else {
        BlobError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Originals and derived files on local disk, under one root directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A file being written: bytes go to a temp file and through SHA-1.
pub struct TempBlob {
    path: PathBuf,
    file: tokio::fs::File,
    hasher: Sha1,
    size: u64,
}

/// A temp file that is complete and on stable storage, ready to commit.
#[derive(Debug)]
pub struct FinishedBlob {
    path: PathBuf,
    pub size: u64,
    pub sha1: [u8; 20],
}

impl BlobStore {
    /// Opens (creating) a store rooted at `root`.
    pub async fn open_local(root: &Path) -> Result<BlobStore> {
        let tmp = root.join("tmp");
        tokio::fs::create_dir_all(&tmp)
            .await
            .map_err(|e| io_error("cannot create", &tmp, e))?;
        let root = tokio::fs::canonicalize(root)
            .await
            .map_err(|e| io_error("cannot open", root, e))?;
        Ok(BlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a key, refusing keys that could leave the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        let ok = !key.is_empty()
            && !key.starts_with('/')
            && !key.contains('\\')
            && key
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
            && !key.contains('\0');
        if !ok {
            return Err(BlobError::InvalidKey(key.to_string()));
        }
        Ok(self.root.join(key))
    }

    /// Starts a new temp file in the store's `tmp/` folder.
    pub async fn create_temp(&self) -> Result<TempBlob> {
        let path = self
            .root
            .join("tmp")
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| io_error("cannot create", &path, e))?;
        Ok(TempBlob {
            path,
            file,
            hasher: Sha1::new(),
            size: 0,
        })
    }

    /// Links a finished temp file under `key` and fsyncs the directory.
    /// Returns false, touching nothing, when a file already has that name:
    /// an existing file is never replaced.
    pub async fn try_link(&self, blob: &FinishedBlob, key: &str) -> Result<bool> {
        let dest = self.path_of(key)?;
        let parent = dest.parent().expect("keys have a parent").to_path_buf();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| io_error("cannot create", &parent, e))?;
        match tokio::fs::hard_link(&blob.path, &dest).await {
            Ok(()) => {
                sync_dir(&parent).await?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error("cannot store", &dest, e)),
        }
    }

    /// A fresh name in `tmp/` for a tool that writes its own output file
    /// (ffmpeg); move it into place with [`BlobStore::replace_from`].
    pub fn temp_path(&self, extension: &str) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("{}.{extension}", uuid::Uuid::new_v4()))
    }

    /// Turns a file some other writer put at a [`BlobStore::temp_path`] (an
    /// importer's download or copy) into a finished blob: fsynced, hashed and
    /// measured, ready for [`BlobStore::try_link`].
    pub async fn adopt_temp(&self, path: PathBuf) -> Result<FinishedBlob> {
        let p = path.clone();
        let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<([u8; 20], u64)> {
            use std::io::Read;
            let mut file = std::fs::File::open(&p)?;
            file.sync_all()?;
            let mut hasher = Sha1::new();
            let mut buf = vec![0u8; 256 * 1024];
            let mut size = 0u64;
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Ok((hasher.finalize().into(), size))
        })
        .await
        .map_err(|e| io_error("cannot read", &path, std::io::Error::other(e)))?;
        match hashed {
            Ok((sha1, size)) => Ok(FinishedBlob { path, size, sha1 }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(io_error("cannot read", &path, e))
            }
        }
    }

    /// Moves a complete file from `tmp/` to `key`, replacing what was there.
    /// Only for derived files (previews, encodings), which are rebuilt from
    /// the original; originals are never replaced (see [`BlobStore::try_link`]).
    pub async fn replace_from(&self, tmp: &Path, key: &str) -> Result<()> {
        let dest = self.path_of(key)?;
        let parent = dest.parent().expect("keys have a parent").to_path_buf();
        let synced = async {
            let f = tokio::fs::File::open(tmp).await?;
            f.sync_all().await
        }
        .await;
        if let Err(e) = synced {
            let _ = tokio::fs::remove_file(tmp).await;
            return Err(io_error("cannot write", tmp, e));
        }
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| io_error("cannot create", &parent, e))?;
        if let Err(e) = tokio::fs::rename(tmp, &dest).await {
            let _ = tokio::fs::remove_file(tmp).await;
            return Err(io_error("cannot store", &dest, e));
        }
        sync_dir(&parent).await
    }

    /// Writes `bytes` to `key` through a temp file, replacing what was there
    /// (derived files and sidecars Keepsake writes).
    pub async fn put_replacing(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let tmp = self.temp_path("part");
        tokio::fs::write(&tmp, bytes).await.map_err(|e| {
            let err = io_error("cannot write", &tmp, e);
            let tmp = tmp.clone();
            tokio::spawn(async move {
                let _ = tokio::fs::remove_file(tmp).await;
            });
            err
        })?;
        self.replace_from(&tmp, key).await
    }

    /// SHA-1 of a stored file (used to recognise our own bytes after a crash).
    pub async fn sha1_of(&self, key: &str) -> Result<[u8; 20]> {
        use tokio::io::AsyncReadExt;
        let path = self.path_of(key)?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error("cannot open", &path, e))?;
        let mut hasher = Sha1::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file
                .read(&mut buf)
                .await
                .map_err(|e| io_error("cannot read", &path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hasher.finalize().into())
    }

    /// Removes the temp file once it is linked, or when it will not be kept.
    pub async fn discard(&self, blob: FinishedBlob) {
        let _ = tokio::fs::remove_file(&blob.path).await;
    }

    /// Removes a stored file; a file already gone is not an error. Empty
    /// folders left behind inside `library/` are removed too.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("cannot remove", &path, e)),
        }
        let mut dir = path.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == self.root
                || !d.starts_with(&self.root)
                || d.parent() == Some(self.root.as_path())
            {
                break;
            }
            if tokio::fs::remove_dir(&d).await.is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(())
    }

    /// Size of a stored file, or `NotFound`.
    pub async fn size(&self, key: &str) -> Result<u64> {
        let path = self.path_of(key)?;
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| io_error("cannot read", &path, e))?;
        Ok(meta.len())
    }

    /// Opens a stored file for reading.
    pub async fn open(&self, key: &str) -> Result<tokio::fs::File> {
        let path = self.path_of(key)?;
        tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error("cannot open", &path, e))
    }

    /// Deletes every leftover temp file (from uploads cut off by a crash); returns how many.
    pub async fn sweep_temp(&self) -> Result<usize> {
        let tmp = self.root.join("tmp");
        let mut entries = tokio::fs::read_dir(&tmp)
            .await
            .map_err(|e| io_error("cannot list", &tmp, e))?;
        let mut n = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error("cannot list", &tmp, e))?
        {
            if tokio::fs::remove_file(entry.path()).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// `(available, total)` bytes on the disk holding the store.
    pub fn disk_space(&self) -> Result<(u64, u64)> {
        let available = fs4::available_space(&self.root)
            .map_err(|e| io_error("cannot measure", &self.root, e))?;
        let total =
            fs4::total_space(&self.root).map_err(|e| io_error("cannot measure", &self.root, e))?;
        Ok((available, total))
    }
}

impl FinishedBlob {
    /// Where the finished temp file is (to read it before it is linked).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TempBlob {
    /// Appends bytes, hashing them on the way.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        self.file
            .write_all(bytes)
            .await
            .map_err(|e| io_error("cannot write", &self.path, e))
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and fsyncs the temp file.
    pub async fn finish(mut self) -> Result<FinishedBlob> {
        let path = self.path.clone();
        let synced = async {
            self.file.flush().await?;
            self.file.sync_all().await
        }
        .await;
        if let Err(e) = synced {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(io_error("cannot write", &path, e));
        }
        Ok(FinishedBlob {
            path,
            size: self.size,
            sha1: self.hasher.finalize().into(),
        })
    }

    /// Drops the temp file (a cut-off upload).
    pub async fn abort(self) {
        let path = self.path.clone();
        drop(self.file);
        let _ = tokio::fs::remove_file(&path).await;
    }
}

async fn sync_dir(dir: &Path) -> Result<()> {
    let handle = tokio::fs::File::open(dir)
        .await
        .map_err(|e| io_error("cannot open", dir, e))?;
    handle
        .sync_all()
        .await
        .map_err(|e| io_error("cannot sync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_bytes(store: &BlobStore, bytes: &[u8], key: &str) -> String {
        let mut temp = store.create_temp().await.unwrap();
        temp.write(bytes).await.unwrap();
        let done = temp.finish().await.unwrap();
        assert!(store.try_link(&done, key).await.unwrap());
        store.discard(done).await;
        key.to_string()
    }

    #[tokio::test]
    async fn an_existing_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        let first = store_bytes(&store, b"one", "library/u/a.jpg").await;
        let mut temp = store.create_temp().await.unwrap();
        temp.write(b"two").await.unwrap();
        let done = temp.finish().await.unwrap();
        assert!(!store.try_link(&done, &first).await.unwrap());
        assert_eq!(
            std::fs::read(store.path_of(&first).unwrap()).unwrap(),
            b"one"
        );
        assert_eq!(store.sha1_of(&first).await.unwrap(), {
            use sha1::Digest;
            let h: [u8; 20] = sha1::Sha1::digest(b"one").into();
            h
        });
        store.discard(done).await;
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "no temp file is left"
        );
    }

    #[tokio::test]
    async fn sha1_is_computed_while_streaming() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        let mut temp = store.create_temp().await.unwrap();
        temp.write(b"The quick brown fox ").await.unwrap();
        temp.write(b"jumps over the lazy dog").await.unwrap();
        let done = temp.finish().await.unwrap();
        assert_eq!(done.size, 43);
        assert_eq!(
            keepsake_core::base64_encode(&done.sha1),
            "L9ThxnotKPzthJ7hu3bnORuT6xI="
        );
        store.discard(done).await;
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root_and_leftover_temps_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a\\b"] {
            assert!(
                matches!(store.path_of(bad), Err(BlobError::InvalidKey(_))),
                "{bad}"
            );
        }
        let mut temp = store.create_temp().await.unwrap();
        temp.write(b"half an upload").await.unwrap();
        drop(temp); // a crash: the temp file stays behind
        assert_eq!(store.sweep_temp().await.unwrap(), 1);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[tokio::test]
    async fn delete_removes_the_file_and_its_empty_folders_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).await.unwrap();
        let a = store_bytes(&store, b"a", "library/u/2019/2019-07-12/a.jpg").await;
        let b = store_bytes(&store, b"b", "library/u/2019/2019-07-13/b.jpg").await;
        store.delete(&a).await.unwrap();
        store.delete(&a).await.unwrap();
        assert!(!dir.path().join("library/u/2019/2019-07-12").exists());
        assert!(store.path_of(&b).unwrap().exists());
        assert!(dir.path().join("library/u/2019").exists());
    }
}
