//! `GET /admin/wristbands/labels?from=1&count=100&format=pdf` (手环标签下载): a sheet of
//! wristband labels as a file. `format=png` answers one page (`page=N`, default 1) and says how
//! many there are in `X-Page-Count`. Administrator only, like the rest of `/admin`.

use axum::extract::Query;
use axum::http::{HeaderName, header};
use axum::response::{IntoResponse, Response};
use outpost_shared::i18n::{Describe, Lang};
use serde::Deserialize;

use super::{Format, LabelError, LabelRange};
use crate::guard::Administrator;
use crate::http::blocking;
use crate::service::ApiError;

/// The header that tells how many pages a PNG request's range has.
pub const PAGE_COUNT_HEADER: HeaderName = HeaderName::from_static("x-page-count");

/// Everything is text here so that a malformed number gets the same JSON error as any other
/// bad value, not the extractor's plain-text rejection.
#[derive(Debug, Deserialize)]
pub struct LabelsQuery {
    from: Option<String>,
    count: Option<String>,
    format: Option<String>,
    page: Option<String>,
}

fn number(value: Option<&str>, field: &'static str) -> Result<Option<u64>, LabelError> {
    value
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| LabelError::NotANumber { field })
        })
        .transpose()
}

fn bad_request(error: &LabelError) -> ApiError {
    let (status, code) = match error {
        LabelError::Render(_) => (500, "render_failed"),
        _ => (400, "bad_label_request"),
    };
    ApiError::new(
        status,
        code,
        error.describe(Lang::En),
        error.describe(Lang::Zh),
    )
}

/// `GET /admin/wristbands/labels`.
#[tracing::instrument(skip_all, err(level = "warn", Debug))]
pub async fn labels(
    _admin: Administrator,
    Query(query): Query<LabelsQuery>,
) -> Result<Response, ApiError> {
    let parsed = (|| -> Result<(LabelRange, Format, u32), LabelError> {
        let from = number(query.from.as_deref(), "from")?.unwrap_or(1);
        let count = number(query.count.as_deref(), "count")?.ok_or(LabelError::Empty)?;
        let format = query
            .format
            .as_deref()
            .map_or(Ok(Format::Pdf), Format::parse)?;
        let page = number(query.page.as_deref(), "page")?.unwrap_or(1);
        let range = LabelRange::new(from, count)?;
        let page = u32::try_from(page).map_err(|_| LabelError::NoSuchPage {
            page,
            pages: range.pages(),
        })?;
        if format == Format::Png {
            range.page(page)?;
        }
        Ok((range, format, page))
    })();
    let (range, format, page) = parsed.map_err(|e| bad_request(&e))?;
    let bytes = blocking(move || {
        match format {
            Format::Pdf => super::pdf::render(range),
            Format::Png => super::png::render_page(range, page),
        }
        .map_err(|e| {
            tracing::error!(error = %e, "cannot render a label sheet");
            bad_request(&e)
        })
    })
    .await?;
    tracing::info!(
        first = range.first(),
        count = range.count(),
        format = format.extension(),
        bytes = bytes.len(),
        "label sheet"
    );
    let name = match format {
        Format::Pdf => range.file_name(format),
        Format::Png => png_file_name(range, page),
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (PAGE_COUNT_HEADER, range.pages().to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The name of one page's PNG: the range's name with `-p<page>` before the extension, the page
/// number padded to the width of the page count so the files sort in order.
pub fn png_file_name(range: LabelRange, page: u32) -> String {
    let width = range.pages().to_string().len();
    let whole = range.file_name(Format::Png);
    let stem = whole.trim_end_matches(".png");
    format!("{stem}-p{page:0width$}.png")
}
