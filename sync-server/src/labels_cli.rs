//! `outpost-server labels`: a sheet of wristband labels into a file (PDF), or one file per page
//! (PNG). Prints the path of every file written, one a line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use outpost_shared::i18n::{Describe, Lang};
use outpost_sync_server::labels::{self, Format, LabelRange};

pub fn run(from: u64, count: u64, format: Format, out: &Path) -> Result<()> {
    let describe = |e: labels::LabelError| {
        anyhow::anyhow!("{} / {}", e.describe(Lang::Zh), e.describe(Lang::En))
    };
    let range = LabelRange::new(from, count).map_err(describe)?;
    let files = match format {
        Format::Pdf => vec![(
            out.to_path_buf(),
            labels::pdf::render(range).map_err(describe)?,
        )],
        Format::Png => (1..=range.pages())
            .map(|page| {
                let bytes = labels::png::render_page(range, page).map_err(describe)?;
                Ok((page_path(out, range.pages(), page), bytes))
            })
            .collect::<Result<Vec<_>>>()?,
    };
    for (path, bytes) in files {
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// `labels.png` itself for a one-page range; otherwise `labels-p1.png`, `labels-p2.png`, …,
/// numbered to the width of the page count so the files sort in page order.
fn page_path(out: &Path, pages: u32, page: u32) -> PathBuf {
    if pages == 1 {
        return out.to_path_buf();
    }
    let width = pages.to_string().len();
    let stem = out
        .file_stem()
        .map_or_else(|| "labels".into(), |s| s.to_string_lossy().into_owned());
    let extension = out
        .extension()
        .map_or_else(|| "png".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}-p{page:0width$}.{extension}"))
}
