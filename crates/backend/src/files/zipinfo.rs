//! A zip file's central directory read by hand: entry names and declared
//! sizes, without inflating anything. Used to tell DOCX, XLSX, PPTX and
//! ODT apart at upload, and to refuse zip bombs before extraction reads a
//! byte of their contents.

/// An entry as the central directory declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub compressed: u64,
    pub uncompressed: u64,
}

/// Where the central directory is, from the end-of-central-directory
/// record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directory {
    pub entries: u64,
    pub offset: u64,
    pub size: u64,
}

const EOCD_SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const ENTRY_SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
const EOCD_LEN: usize = 22;

fn u16_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 2)?;
    Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// Finds the end-of-central-directory record in the last bytes of a file
/// (`tail`). Returns the directory and the record's position in `tail`.
/// Zip64 archives are not recognised: no accepted document needs one.
pub fn directory(tail: &[u8]) -> Option<(Directory, usize)> {
    if tail.len() < EOCD_LEN {
        return None;
    }
    // The record is 22 bytes plus a comment of up to 65,535.
    let earliest = tail.len().saturating_sub(EOCD_LEN + 0xFFFF);
    let at = (earliest..=tail.len() - EOCD_LEN)
        .rev()
        .find(|&i| tail[i..i + 4] == EOCD_SIGNATURE)?;
    let entries = u16_at(tail, at + 10)?;
    let size = u32_at(tail, at + 12)?;
    let offset = u32_at(tail, at + 16)?;
    if entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        return None;
    }
    Some((
        Directory {
            entries,
            offset,
            size,
        },
        at,
    ))
}

/// The entries of a central directory (`bytes` is the whole directory),
/// at most `max` of them; `None` if it is malformed or has more.
pub fn entries(bytes: &[u8], max: usize) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes.get(at..at + 4)? != ENTRY_SIGNATURE {
            return None;
        }
        if out.len() == max {
            return None;
        }
        let compressed = u32_at(bytes, at + 20)?;
        let uncompressed = u32_at(bytes, at + 24)?;
        let name_len = usize::try_from(u16_at(bytes, at + 28)?).ok()?;
        let extra_len = usize::try_from(u16_at(bytes, at + 30)?).ok()?;
        let comment_len = usize::try_from(u16_at(bytes, at + 32)?).ok()?;
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            compressed,
            uncompressed,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(out)
}

/// The entries of a whole zip file held in memory.
pub fn entries_of(file: &[u8], max: usize) -> Option<Vec<Entry>> {
    let (dir, _) = directory(file)?;
    if dir.entries > max as u64 {
        return None;
    }
    let start = usize::try_from(dir.offset).ok()?;
    let end = start.checked_add(usize::try_from(dir.size).ok()?)?;
    entries(file.get(start..end)?, max)
}

/// Limits a zip must keep before any entry is inflated.
#[derive(Clone, Copy, Debug)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Largest uncompressed-to-compressed ratio, for the archive and for
    /// any entry bigger than [`ZipLimits::RATIO_FLOOR`].
    pub max_ratio: u64,
}

impl ZipLimits {
    /// Entries smaller than this may compress as well as they like (a
    /// short XML part of repeated tags often beats 100 to 1).
    pub const RATIO_FLOOR: u64 = 1024 * 1024;
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self {
            max_entries: 1_000,
            max_entry_bytes: 50 * 1024 * 1024,
            max_total_bytes: 200 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

/// Why a zip is refused, or `Ok` when it keeps every limit.
pub fn check(entries: &[Entry], limits: &ZipLimits) -> Result<(), String> {
    if entries.len() > limits.max_entries {
        return Err(format!("{} entries", entries.len()));
    }
    let mut total: u64 = 0;
    let mut compressed_total: u64 = 0;
    for entry in entries {
        if entry.uncompressed > limits.max_entry_bytes {
            return Err(format!(
                "{} declares {} bytes",
                entry.name, entry.uncompressed
            ));
        }
        if entry.uncompressed > ZipLimits::RATIO_FLOOR
            && entry.uncompressed / entry.compressed.max(1) > limits.max_ratio
        {
            return Err(format!(
                "{} compresses more than {}:1",
                entry.name, limits.max_ratio
            ));
        }
        total = total.saturating_add(entry.uncompressed);
        compressed_total = compressed_total.saturating_add(entry.compressed);
    }
    if total > limits.max_total_bytes {
        return Err(format!("{total} bytes in all"));
    }
    if total > ZipLimits::RATIO_FLOOR && total / compressed_total.max(1) > limits.max_ratio {
        return Err(format!("compresses more than {}:1", limits.max_ratio));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip with stored entries, built by hand.
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 4]); // crc (unchecked here)
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            directory.extend_from_slice(&ENTRY_SIGNATURE);
            directory.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            directory.extend_from_slice(&(data.len() as u32).to_le_bytes());
            directory.extend_from_slice(&(data.len() as u32).to_le_bytes());
            directory.extend_from_slice(&(name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&[0; 12]);
            directory.extend_from_slice(&offset.to_le_bytes());
            directory.extend_from_slice(name.as_bytes());
        }
        let offset = out.len() as u32;
        out.extend_from_slice(&directory);
        out.extend_from_slice(&EOCD_SIGNATURE);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn entries_are_read_from_the_directory() {
        let file = zip(&[
            ("[Content_Types].xml", b"<x/>"),
            ("word/document.xml", b"<w/>"),
        ]);
        let entries = entries_of(&file, 10).expect("entries");
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["[Content_Types].xml", "word/document.xml"]);
        assert_eq!(entries[1].uncompressed, 4);
        assert!(entries_of(&file, 1).is_none(), "more entries than allowed");
        assert!(entries_of(b"PK\x03\x04 not really a zip", 10).is_none());
        assert!(entries_of(&file[..file.len() - 3], 10).is_none());
    }

    #[test]
    fn bombs_are_refused_before_inflating() {
        let entry = |uncompressed: u64, compressed: u64| Entry {
            name: "word/document.xml".into(),
            compressed,
            uncompressed,
        };
        let limits = ZipLimits::default();
        assert!(check(&[entry(40_000, 4_000)], &limits).is_ok());
        assert!(
            check(&[entry(60_000, 100)], &limits).is_ok(),
            "small parts compress well"
        );
        assert!(
            check(&[entry(4 << 30, 4_000_000)], &limits).is_err(),
            "too big"
        );
        assert!(
            check(&[entry(40 << 20, 100_000)], &limits).is_err(),
            "ratio"
        );
        let many: Vec<Entry> = (0..1_001).map(|_| entry(10, 10)).collect();
        assert!(check(&many, &limits).is_err(), "too many entries");
        let big: Vec<Entry> = (0..5).map(|_| entry(45 << 20, 45 << 20)).collect();
        assert!(check(&big, &limits).is_err(), "too much in all");
    }
}
