//! Label sheet benchmark (a bench binary that prints figures; every loop is bounded): the time
//! to render wristband label sheets as one PDF and as PNG pages, and their sizes.
//!
//! `cargo bench -p outpost-sync-server --bench labels` (options: `--count N` labels, default
//! 1,000; `--runs N`, default 3).

use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use outpost_sync_server::labels::{self, LabelRange};

fn arg(name: &str, default: u64) -> Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context("a value after the option")?
            .parse()
            .with_context(|| format!("{name} takes a number")),
        None => Ok(default),
    }
}

fn main() -> Result<()> {
    let count = arg("--count", 1_000)?;
    let runs = arg("--runs", 3)?;
    let range = LabelRange::new(1, count).map_err(|e| anyhow!("{e}"))?;
    println!(
        "{count} labels, {} A4 pages, best of {runs} runs",
        range.pages()
    );

    let mut best_pdf = f64::MAX;
    let mut pdf_bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let pdf = labels::pdf::render(range).map_err(|e| anyhow!("{e}"))?;
        best_pdf = best_pdf.min(started.elapsed().as_secs_f64());
        pdf_bytes = pdf.len();
    }
    println!(
        "pdf: {:.3} s ({:.2} ms/label), {:.1} KiB ({:.0} B/page)",
        best_pdf,
        best_pdf * 1000.0 / count as f64,
        pdf_bytes as f64 / 1024.0,
        pdf_bytes as f64 / f64::from(range.pages())
    );

    let mut best_png = f64::MAX;
    let mut png_bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut total = 0;
        for page in 1..=range.pages() {
            total += labels::png::render_page(range, page)
                .map_err(|e| anyhow!("{e}"))?
                .len();
        }
        best_png = best_png.min(started.elapsed().as_secs_f64());
        png_bytes = total;
    }
    println!(
        "png: {:.3} s ({:.0} ms/page), {:.1} KiB ({:.0} KiB/page)",
        best_png,
        best_png * 1000.0 / f64::from(range.pages()),
        png_bytes as f64 / 1024.0,
        png_bytes as f64 / 1024.0 / f64::from(range.pages())
    );
    Ok(())
}
