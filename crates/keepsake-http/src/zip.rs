//! A ZIP archive written as a stream, for downloading many originals at once.
//!
//! Entries are stored (photos and videos do not compress), with the CRC in a
//! data descriptor after each file, so nothing is read twice and nothing is
//! held in memory; ZIP64 records appear only when a size or offset needs them.
//! Names are UTF-8 (flag bit 11); dates are the capture time people expect.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// One file to add.
pub struct Entry<R> {
    pub name: String,
    /// The size the caller expects; the actual bytes read are what counts.
    pub size_hint: u64,
    /// Wall-clock time (ms, read as UTC) for the entry's DOS date.
    pub modified_ms: i64,
    pub reader: R,
}

struct Written {
    name: Vec<u8>,
    crc: u32,
    size: u64,
    offset: u64,
    time: u16,
    date: u16,
    zip64: bool,
}

const LIMIT32: u64 = 0xFFFF_FFFF;

fn dos_time(ms: i64) -> (u16, u16) {
    let c = keepsake_core::Timestamp(ms).civil();
    if c.year < 1980 {
        return (0, (1 << 5) | 1);
    }
    let year = (c.year - 1980).min(127) as u16;
    let date = (year << 9) | ((c.month as u16) << 5) | c.day as u16;
    let time = ((c.hour as u16) << 11) | ((c.minute as u16) << 5) | (c.second as u16 / 2);
    (time, date)
}

/// Writes `entries` as one archive to `out`. Stops at the first I/O error
/// (a client that went away, a file that vanished).
pub async fn write_archive<R, W>(
    entries: impl IntoIterator<Item = std::io::Result<Entry<R>>>,
    out: &mut W,
) -> std::io::Result<u64>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut offset = 0u64;
    let mut written: Vec<Written> = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    for entry in entries {
        let mut entry = entry?;
        let name = entry.name.into_bytes();
        let (time, date) = dos_time(entry.modified_ms);
        let zip64 = entry.size_hint >= LIMIT32 || offset >= LIMIT32;
        let mut header = Vec::with_capacity(30 + name.len() + 20);
        header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes());
        header.extend_from_slice(&0x0808u16.to_le_bytes()); // data descriptor + UTF-8
        header.extend_from_slice(&0u16.to_le_bytes()); // stored
        header.extend_from_slice(&time.to_le_bytes());
        header.extend_from_slice(&date.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // CRC follows in the descriptor
        let unknown = if zip64 { u32::MAX } else { 0 };
        header.extend_from_slice(&unknown.to_le_bytes());
        header.extend_from_slice(&unknown.to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        header.extend_from_slice(&name);
        if zip64 {
            header.extend_from_slice(&0x0001u16.to_le_bytes());
            header.extend_from_slice(&16u16.to_le_bytes());
            header.extend_from_slice(&0u64.to_le_bytes());
            header.extend_from_slice(&0u64.to_le_bytes());
        }
        out.write_all(&header).await?;

        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        loop {
            let n = entry.reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
            out.write_all(&buf[..n]).await?;
            size += n as u64;
        }
        if !zip64 && size >= LIMIT32 {
            return Err(std::io::Error::other(format!(
                "{} grew past 4 GiB while being archived",
                String::from_utf8_lossy(&name)
            )));
        }
        let crc = crc.finalize();
        let mut descriptor = Vec::with_capacity(24);
        descriptor.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        descriptor.extend_from_slice(&crc.to_le_bytes());
        if zip64 {
            descriptor.extend_from_slice(&size.to_le_bytes());
            descriptor.extend_from_slice(&size.to_le_bytes());
        } else {
            descriptor.extend_from_slice(&(size as u32).to_le_bytes());
            descriptor.extend_from_slice(&(size as u32).to_le_bytes());
        }
        out.write_all(&descriptor).await?;
        written.push(Written {
            name,
            crc,
            size,
            offset,
            time,
            date,
            zip64,
        });
        offset += header.len() as u64 + size + descriptor.len() as u64;
    }

    let cd_start = offset;
    let mut cd = Vec::new();
    for w in &written {
        let big_size = w.zip64 || w.size >= LIMIT32;
        let big_offset = w.offset >= LIMIT32;
        let mut extra = Vec::new();
        if big_size {
            extra.extend_from_slice(&w.size.to_le_bytes());
            extra.extend_from_slice(&w.size.to_le_bytes());
        }
        if big_offset {
            extra.extend_from_slice(&w.offset.to_le_bytes());
        }
        let needs64 = big_size || big_offset;
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&(0x0300u16 | 45).to_le_bytes()); // made by: Unix, 4.5
        cd.extend_from_slice(&(if needs64 || w.zip64 { 45u16 } else { 20 }).to_le_bytes());
        cd.extend_from_slice(&0x0808u16.to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes());
        cd.extend_from_slice(&w.time.to_le_bytes());
        cd.extend_from_slice(&w.date.to_le_bytes());
        cd.extend_from_slice(&w.crc.to_le_bytes());
        let size32 = if big_size { u32::MAX } else { w.size as u32 };
        cd.extend_from_slice(&size32.to_le_bytes());
        cd.extend_from_slice(&size32.to_le_bytes());
        cd.extend_from_slice(&(w.name.len() as u16).to_le_bytes());
        let extra_len = if needs64 { 4 + extra.len() } else { 0 };
        cd.extend_from_slice(&(extra_len as u16).to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes()); // comment
        cd.extend_from_slice(&0u16.to_le_bytes()); // disk
        cd.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // regular file, rw-r--r--
        let offset32 = if big_offset {
            u32::MAX
        } else {
            w.offset as u32
        };
        cd.extend_from_slice(&offset32.to_le_bytes());
        cd.extend_from_slice(&w.name);
        if needs64 {
            cd.extend_from_slice(&0x0001u16.to_le_bytes());
            cd.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            cd.extend_from_slice(&extra);
        }
    }
    out.write_all(&cd).await?;
    let cd_size = cd.len() as u64;
    let mut end = Vec::new();
    let count = written.len() as u64;
    let zip64_end = count >= 0xFFFF || cd_start >= LIMIT32 || cd_size >= LIMIT32;
    if zip64_end {
        let record_at = cd_start + cd_size;
        end.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        end.extend_from_slice(&44u64.to_le_bytes());
        end.extend_from_slice(&(0x0300u16 | 45).to_le_bytes());
        end.extend_from_slice(&45u16.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&cd_size.to_le_bytes());
        end.extend_from_slice(&cd_start.to_le_bytes());
        end.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&record_at.to_le_bytes());
        end.extend_from_slice(&1u32.to_le_bytes());
    }
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    let count16 = if zip64_end { u16::MAX } else { count as u16 };
    end.extend_from_slice(&count16.to_le_bytes());
    end.extend_from_slice(&count16.to_le_bytes());
    let cd_size32 = if zip64_end { u32::MAX } else { cd_size as u32 };
    let cd_start32 = if zip64_end { u32::MAX } else { cd_start as u32 };
    end.extend_from_slice(&cd_size32.to_le_bytes());
    end.extend_from_slice(&cd_start32.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    out.write_all(&end).await?;
    out.flush().await?;
    Ok(cd_start + cd_size + end.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_dates_pack_fields_and_clamp_before_1980() {
        // 2019-07-12T18:15:12Z
        let (time, date) = dos_time(1_562_955_312_000);
        assert_eq!(date, ((2019 - 1980) << 9) | (7 << 5) | 12);
        assert_eq!(time, (18 << 11) | (15 << 5) | 6);
        assert_eq!(dos_time(0), (0, (1 << 5) | 1));
    }

    #[tokio::test]
    async fn an_archive_has_headers_data_descriptors_and_a_central_directory() {
        let entries = vec![
            Ok(Entry {
                name: "a.txt".into(),
                size_hint: 5,
                modified_ms: 0,
                reader: &b"hello"[..],
            }),
            Ok(Entry {
                name: "ü.txt".into(),
                size_hint: 0,
                modified_ms: 0,
                reader: &b""[..],
            }),
        ];
        let mut out = Vec::new();
        let n = write_archive(entries, &mut out).await.unwrap();
        assert_eq!(n as usize, out.len());
        assert_eq!(&out[..4], &[0x50, 0x4b, 0x03, 0x04]);
        // End of central directory: two entries.
        let end = &out[out.len() - 22..];
        assert_eq!(&end[..4], &[0x50, 0x4b, 0x05, 0x06]);
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        // CRC-32 of "hello" in the first data descriptor.
        let d = out
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x07, 0x08])
            .unwrap();
        assert_eq!(
            u32::from_le_bytes([out[d + 4], out[d + 5], out[d + 6], out[d + 7]]),
            0x3610_a686
        );
    }
}
