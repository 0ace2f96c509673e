//! The gate in front of the workbook readers (the import's own in `xlsx/`,
//! calamine for the other uploads): an upload is an untrusted file, and an
//! .xlsx is a zip archive whose parts a reader inflates into memory (shared
//! strings, styles) or streams (worksheets). Before anything is inflated we
//! read only the zip central directory and refuse archives whose declared
//! sizes could exhaust memory. The declared sizes are binding: the zip reader
//! fails an entry as soon as it inflates past its declared size, so an entry
//! that lies about its size is caught while reading, not after.

use std::io::Cursor;

use zip::ZipArchive;

use super::error::{NotXlsxReason, SpreadsheetError};

/// Limits on the zip container, chosen so that a real workbook of the
/// largest accepted upload passes and a bomb does not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArchiveLimits {
    /// Sum of the declared uncompressed sizes of all entries. 256 MiB is
    /// about ten times the XML of a 200,000-row sheet; everything a reader
    /// keeps in memory (shared strings, styles) is bounded by it.
    pub(crate) max_total_uncompressed: u64,
    /// Entries smaller than this are never refused for their ratio: tiny
    /// parts (styles, a sheet of one repeated row) compress very well.
    pub(crate) ratio_checked_above: u64,
    /// Worksheet XML of real data compresses 5-20:1; a deflate bomb reaches
    /// about 1000:1.
    pub(crate) max_compression_ratio: u64,
    /// A workbook has a few dozen parts; a central directory of thousands of
    /// entries is an attack on the index, not a spreadsheet.
    pub(crate) max_entries: usize,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_total_uncompressed: 256 * 1024 * 1024,
            ratio_checked_above: 1024 * 1024,
            max_compression_ratio: 100,
            max_entries: 10_000,
        }
    }
}

const ZIP_LOCAL_HEADER: &[u8] = b"PK\x03\x04";
const OLE2_SIGNATURE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Checks that `bytes` is a zip archive holding a workbook and that its
/// declared sizes are safe to inflate. Reads only the central directory.
pub(crate) fn check_archive(bytes: &[u8], limits: &ArchiveLimits) -> Result<(), SpreadsheetError> {
    if bytes.starts_with(OLE2_SIGNATURE) {
        return Err(SpreadsheetError::NotXlsx(NotXlsxReason::Ole2CompoundFile));
    }
    if !bytes.starts_with(ZIP_LOCAL_HEADER) {
        return Err(SpreadsheetError::NotXlsx(NotXlsxReason::NotZip));
    }
    let archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| SpreadsheetError::Corrupt(format!("unreadable zip archive: {error}")))?;
    if archive.len() > limits.max_entries {
        return Err(SpreadsheetError::ZipBomb(format!(
            "the archive has {} entries; a workbook has far fewer than {}",
            archive.len(),
            limits.max_entries
        )));
    }

    let mut total: u64 = 0;
    let mut has_workbook = false;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|error| SpreadsheetError::Corrupt(format!("unreadable zip entry: {error}")))?;
        let name = String::from_utf8_lossy(entry.name_raw());
        let size = entry.size();
        total = total.saturating_add(size);
        if total > limits.max_total_uncompressed {
            return Err(SpreadsheetError::ZipBomb(format!(
                "its parts expand to more than {} MiB",
                limits.max_total_uncompressed / (1024 * 1024)
            )));
        }
        let compressed = entry.compressed_size().max(1);
        if size > limits.ratio_checked_above && size / compressed > limits.max_compression_ratio {
            return Err(SpreadsheetError::ZipBomb(format!(
                "part `{}` expands {}:1 (from {compressed} to {size} bytes)",
                name.chars().take(100).collect::<String>(),
                size / compressed
            )));
        }
        // `xl/workbook.xml` in every workbook Excel and LibreOffice write;
        // the name is compared loosely as the readers resolve the part
        // through the package relationships.
        has_workbook |= name.to_ascii_lowercase().ends_with("workbook.xml");
    }
    if !has_workbook {
        return Err(SpreadsheetError::NotXlsx(NotXlsxReason::ZipWithoutWorkbook));
    }
    Ok(())
}
