//! What calamine trusts in an .xlsx before it reads a cell: the shared strings' declared
//! `uniqueCount`, for which it reserves memory when it opens the workbook. Fuzzing found a
//! workbook of a few KB declaring 13 digits' worth of strings: calamine asked for 370 GB and the
//! failed allocation aborted the process. The count is read here first and a count no list can
//! have (more strings than the cells a sheet may hold) is refused.

use std::io::{Cursor, Read};

use super::limits::MAX_CELLS;

/// How much of a shared-strings part is read to find its `<sst …>` start tag.
const HEAD_BYTES: u64 = 64 * 1024;

/// `Err(())` if a shared-strings part of the .xlsx `bytes` declares more unique strings than
/// [`MAX_CELLS`]. A file that is not a readable zip is left to calamine, which refuses it.
pub(super) fn check(bytes: &[u8]) -> Result<(), ()> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index(index) else {
            continue;
        };
        let shared_strings = entry
            .name()
            .is_ok_and(|name| name.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if !shared_strings {
            continue;
        }
        let mut head = Vec::new();
        if entry.take(HEAD_BYTES).read_to_end(&mut head).is_err() {
            continue;
        }
        if declared_count(&head).is_some_and(|count| count > MAX_CELLS as u64) {
            return Err(());
        }
    }
    Ok(())
}

/// The `uniqueCount` of the first `<sst` start tag in `head`; `u64::MAX` if it does not fit.
fn declared_count(head: &[u8]) -> Option<u64> {
    let start = find(head, b"<sst")?;
    let tag = &head[start..];
    let tag = &tag[..find(tag, b">").unwrap_or(tag.len())];
    let after = &tag[find(tag, b"uniqueCount")? + b"uniqueCount".len()..];
    let value = after
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == b'=' || **b == b'"' || **b == b'\'');
    let mut count: u64 = 0;
    for digit in value.take_while(|b| b.is_ascii_digit()) {
        count = count
            .checked_mul(10)
            .and_then(|c| c.checked_add(u64::from(digit - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some(count)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
