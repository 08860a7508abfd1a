//! Printable sheets of wristband labels (手环标签): for a range of serials, A4 pages of labels,
//! each a QR code of the wristband's payload with its printed id under it (`0001 2345 WJV6`).
//!
//! Two renderings of one [`layout`]: [`pdf`] (vector — QR modules as filled rectangles, text in
//! the standard Courier-Bold font, so nothing is embedded and any printer gets sharp edges) and
//! [`png`] (one 300 dpi page per image, for printers and apps that only take pictures). A sheet
//! holds [`LABELS_PER_PAGE`] labels; a request is bounded by [`MAX_LABELS`].
//!
//! Labels carry no personal data: a wristband is bound to a person only when it is scanned
//! (`Action::TagBound`), so sheets can be printed in advance and handed out in any order.

pub mod admin;
pub mod layout;
pub mod pdf;
pub mod png;

use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::tag::{MAX_SERIAL, WristbandId};
use thiserror::Error;

pub use layout::LABELS_PER_PAGE;

/// The most labels one request renders (250 pages).
pub const MAX_LABELS: u32 = 10_000;

/// What a sheet is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One PDF document, every page.
    Pdf,
    /// One PNG image per page.
    Png,
}

impl Format {
    /// Reads `pdf` or `png`, in any case.
    pub fn parse(text: &str) -> Result<Self, LabelError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pdf" => Ok(Self::Pdf),
            "png" => Ok(Self::Png),
            _ => Err(LabelError::UnknownFormat),
        }
    }

    /// The media type of a rendered file.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
        }
    }
}

/// Why a sheet cannot be rendered.
#[derive(Debug, Error)]
pub enum LabelError {
    #[error("'{field}' must be a whole number, e.g. from=1&count=100")]
    NotANumber { field: &'static str },
    #[error("at least one label is needed: give a count of 1 or more")]
    Empty,
    #[error(
        "{count} labels is more than the {MAX_LABELS} one sheet request may have: split the range"
    )]
    TooMany { count: u64 },
    #[error(
        "the range goes past the last wristband number {MAX_SERIAL}: start lower or print fewer"
    )]
    PastLastSerial,
    #[error("the format must be pdf or png")]
    UnknownFormat,
    #[error("page {page} does not exist: this range has {pages} page(s)")]
    NoSuchPage { page: u64, pages: u32 },
    #[error("the sheet could not be rendered: {0}")]
    Render(String),
}

impl Describe for LabelError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::NotANumber { field }, Lang::Zh) => {
                format!("“{field}”应为整数，例如 from=1&count=100")
            }
            (Self::Empty, Lang::Zh) => "至少要打印一张标签：数量应不小于1".to_owned(),
            (Self::TooMany { count }, Lang::Zh) => {
                format!("一次最多打印{MAX_LABELS}张标签，而不是{count}张：请分段打印")
            }
            (Self::PastLastSerial, Lang::Zh) => {
                format!("编号范围超过了最大手环编号{MAX_SERIAL}：请从更小的编号开始或减少数量")
            }
            (Self::UnknownFormat, Lang::Zh) => "格式应为 pdf 或 png".to_owned(),
            (Self::NoSuchPage { page, pages }, Lang::Zh) => {
                format!("第{page}页不存在：该范围共{pages}页")
            }
            (Self::Render(cause), Lang::Zh) => format!("标签生成失败：{cause}"),
        }
    }
}

/// A run of consecutive wristband serials to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRange {
    first: u32,
    count: u32,
}

impl LabelRange {
    /// `count` labels starting at serial `from`: at least one, at most [`MAX_LABELS`], and all
    /// within the 8-digit serials.
    pub fn new(from: u64, count: u64) -> Result<Self, LabelError> {
        if count == 0 {
            return Err(LabelError::Empty);
        }
        if count > u64::from(MAX_LABELS) {
            return Err(LabelError::TooMany { count });
        }
        let last = from
            .checked_add(count - 1)
            .ok_or(LabelError::PastLastSerial)?;
        if last > u64::from(MAX_SERIAL) {
            return Err(LabelError::PastLastSerial);
        }
        // Both fit in u32: last ≤ MAX_SERIAL and count ≤ MAX_LABELS.
        let first = u32::try_from(from).map_err(|_| LabelError::PastLastSerial)?;
        let count = u32::try_from(count).map_err(|_| LabelError::TooMany { count })?;
        Ok(Self { first, count })
    }

    /// How many labels.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The first serial.
    pub fn first(self) -> u32 {
        self.first
    }

    /// The last serial.
    pub fn last(self) -> u32 {
        self.first + (self.count - 1)
    }

    /// How many A4 pages the labels fill.
    pub fn pages(self) -> u32 {
        self.count.div_ceil(LABELS_PER_PAGE)
    }

    /// The wristbands on page `page` (counted from 1), in reading order.
    pub fn page(self, page: u32) -> Result<Vec<WristbandId>, LabelError> {
        if page == 0 || page > self.pages() {
            return Err(LabelError::NoSuchPage {
                page: u64::from(page),
                pages: self.pages(),
            });
        }
        let start = self.first + (page - 1) * LABELS_PER_PAGE;
        let end = (start + LABELS_PER_PAGE - 1).min(self.last());
        (start..=end)
            .map(|serial| WristbandId::new(serial).map_err(|e| LabelError::Render(e.to_string())))
            .collect()
    }

    /// A file name naming the range, e.g. `wristband-labels-00000001-00000100.pdf`.
    pub fn file_name(self, format: Format) -> String {
        format!(
            "wristband-labels-{:08}-{:08}.{}",
            self.first,
            self.last(),
            format.extension()
        )
    }
}

/// The QR symbol of one wristband: its side in modules and the dark modules, row by row.
pub(crate) struct Symbol {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Symbol {
    /// Error correction level Q (25 % of the symbol may be lost — a creased or scuffed
    /// wristband) still fits the 18-character alphanumeric payload in version 2 (25 × 25).
    pub fn of(id: WristbandId) -> Result<Self, LabelError> {
        let code = qrcode::QrCode::with_error_correction_level(
            id.payload().as_bytes(),
            qrcode::EcLevel::Q,
        )
        .map_err(|e| LabelError::Render(e.to_string()))?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            dark,
        })
    }

    /// Horizontal runs of dark modules as (row, first column, length): one rectangle each.
    pub fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.dark
            .chunks(self.width)
            .enumerate()
            .flat_map(|(y, row)| {
                let mut runs = Vec::new();
                let mut x = 0;
                while x < row.len() {
                    if row[x] {
                        let start = x;
                        while x < row.len() && row[x] {
                            x += 1;
                        }
                        runs.push((y, start, x - start));
                    } else {
                        x += 1;
                    }
                }
                runs
            })
    }
}

/// The line at the top of each page, e.g. `OUTPOST WRISTBAND LABELS 0000 0001 - 0000 0100  PAGE 1/3`.
pub(crate) fn page_heading(range: LabelRange, page: u32) -> String {
    let group = |s: u32| {
        let digits = format!("{s:08}");
        format!("{} {}", &digits[..4], &digits[4..])
    };
    format!(
        "OUTPOST WRISTBAND LABELS {} - {}  PAGE {page}/{}",
        group(range.first()),
        group(range.last()),
        range.pages()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_fills_as_many_pages_as_its_labels_need() {
        let range = LabelRange::new(1, 100).expect("range");
        assert_eq!(range.pages(), 100_u32.div_ceil(LABELS_PER_PAGE));
        let last_page = range.page(range.pages()).expect("page");
        assert_eq!(last_page.last().map(|id| id.serial()), Some(100));
        assert_eq!(range.page(1).expect("page")[0].serial(), 1);
        assert!(matches!(range.page(0), Err(LabelError::NoSuchPage { .. })));
        assert!(matches!(
            range.page(range.pages() + 1),
            Err(LabelError::NoSuchPage { .. })
        ));
    }

    #[test]
    fn ranges_are_bounded_with_a_reason() {
        assert!(matches!(LabelRange::new(1, 0), Err(LabelError::Empty)));
        assert!(matches!(
            LabelRange::new(1, u64::from(MAX_LABELS) + 1),
            Err(LabelError::TooMany { .. })
        ));
        assert!(LabelRange::new(1, u64::from(MAX_LABELS)).is_ok());
        assert!(LabelRange::new(u64::from(MAX_SERIAL), 1).is_ok());
        assert!(matches!(
            LabelRange::new(u64::from(MAX_SERIAL), 2),
            Err(LabelError::PastLastSerial)
        ));
        assert!(matches!(
            LabelRange::new(u64::MAX, 2),
            Err(LabelError::PastLastSerial)
        ));
    }

    #[test]
    fn wristband_payloads_fit_a_version_2_symbol() {
        let symbol = Symbol::of(WristbandId::new(99_999_999).expect("id")).expect("symbol");
        assert_eq!(symbol.width, 25);
        let dark_in_runs: usize = symbol.runs().map(|(_, _, n)| n).sum();
        assert_eq!(dark_in_runs, symbol.dark.iter().filter(|&&d| d).count());
    }

    #[test]
    fn label_errors_read_in_both_languages() {
        let error = LabelError::TooMany { count: 20_000 };
        assert!(error.describe(Lang::Zh).contains("20000"));
        assert!(error.describe(Lang::En).contains("20000"));
        assert!(matches!(Format::parse(" PDF "), Ok(Format::Pdf)));
        assert!(matches!(
            Format::parse("svg"),
            Err(LabelError::UnknownFormat)
        ));
    }
}
