//! ICC profiles: only the human-readable description ("Display P3"), which
//! is what Immich shows and what tells a wide-gamut photo apart.

use super::source::{be_u16, be_u32};

/// The profile's `desc` tag, in either the v2 `desc` or the v4 `mluc` form.
pub(crate) fn description(icc: &[u8]) -> Option<String> {
    let count = be_u32(icc, 128)?.min(256) as usize;
    for i in 0..count {
        let e = 132 + i * 12;
        if icc.get(e..e + 4)? != b"desc" {
            continue;
        }
        let off = be_u32(icc, e + 4)? as usize;
        let len = be_u32(icc, e + 8)? as usize;
        let tag = icc.get(off..off.checked_add(len)?)?;
        return match tag.get(0..4)? {
            b"desc" => {
                let n = be_u32(tag, 8)? as usize;
                let text = tag.get(12..12usize.checked_add(n)?)?;
                super::text_of(text)
            }
            b"mluc" => {
                let records = be_u32(tag, 8)?.min(64) as usize;
                let rec_size = be_u32(tag, 12)? as usize;
                let mut first = None;
                for r in 0..records {
                    let at = rec_size.max(12).checked_mul(r)?.checked_add(16)?;
                    let lang = tag.get(at..at + 4)?;
                    let n = be_u32(tag, at + 4)? as usize;
                    let o = be_u32(tag, at + 8)? as usize;
                    let units: Vec<u16> = tag
                        .get(o..o.checked_add(n)?)?
                        .chunks_exact(2)
                        .filter_map(|c| be_u16(c, 0))
                        .take_while(|u| *u != 0)
                        .collect();
                    let s = String::from_utf16_lossy(&units).trim().to_string();
                    if s.is_empty() {
                        continue;
                    }
                    if lang == b"enUS" {
                        return Some(s);
                    }
                    first.get_or_insert(s);
                }
                first
            }
            _ => None,
        };
    }
    None
}
