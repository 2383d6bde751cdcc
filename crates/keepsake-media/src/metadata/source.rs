//! Random access to a file's bytes, so parsers read headers and tables where
//! they are and skip the pixel data, whether the file is on disk or in memory.
//!
//! A file's first block is read once up front: for most photos every header
//! lies in it, so parsing costs one read system call.

use super::corrupt;
use crate::{MediaError, Result};
use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes of a file by position. `read_at` fails (never panics) when the range
/// is not inside the file.
pub(crate) trait Source {
    fn len(&self) -> u64;
    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>>;
}

pub(crate) struct SliceSource<'a>(pub &'a [u8]);

impl Source for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let start = usize::try_from(offset).map_err(|_| out_of_range(offset, len))?;
        let end = start
            .checked_add(len)
            .ok_or_else(|| out_of_range(offset, len))?;
        self.0
            .get(start..end)
            .map(Cow::Borrowed)
            .ok_or_else(|| out_of_range(offset, len))
    }
}

/// Enough for every header of a typical camera JPEG (APP1 is at most 64 KiB).
const HEAD_BYTES: u64 = 128 * 1024;

pub(crate) struct FileSource {
    file: File,
    len: u64,
    head: Vec<u8>,
    path: String,
}

impl FileSource {
    pub(crate) fn open(path: &Path) -> Result<FileSource> {
        let io = |source| MediaError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = vec![0; len.min(HEAD_BYTES) as usize];
        file.read_exact(&mut head).map_err(io)?;
        Ok(FileSource {
            file,
            len,
            head,
            path: path.display().to_string(),
        })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| out_of_range(offset, len))?;
        if end > self.len {
            return Err(out_of_range(offset, len));
        }
        if end <= self.head.len() as u64 {
            return Ok(Cow::Borrowed(&self.head[offset as usize..end as usize]));
        }
        let io = |source| MediaError::Io {
            path: self.path.clone(),
            source,
        };
        let mut buf = vec![0; len];
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
        file.read_exact(&mut buf).map_err(io)?;
        Ok(Cow::Owned(buf))
    }
}

fn out_of_range(offset: u64, len: usize) -> MediaError {
    corrupt(format!(
        "a structure at byte {offset} ({len} bytes) runs past the end of the file"
    ))
}

pub(crate) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

pub(crate) fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads an unsigned big-endian integer of 0, 4 or 8 bytes (ISO-BMFF `iloc`).
pub(crate) fn be_uint(b: &[u8], at: usize, size: usize) -> Option<u64> {
    match size {
        0 => Some(0),
        2 => be_u16(b, at).map(u64::from),
        4 => be_u32(b, at).map(u64::from),
        8 => be_u64(b, at),
        _ => None,
    }
}
