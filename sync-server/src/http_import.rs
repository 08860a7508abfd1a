//! HTTP routes for lists: template download (下载模板), batch import (批量导入), the batches and
//! their failure workbooks. Administrator routes, like the rest of `/admin`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use outpost_shared::i18n::{Describe, Lang};
use serde::Deserialize;

use crate::App;
use crate::guard::Administrator;
use crate::http::blocking;
use crate::import::{self, ImportError, ImportRequest};
use crate::service::ApiError;
use crate::store::Store;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn xlsx(bytes: Vec<u8>, file_name: &str) -> Response {
    // RFC 5987 filename* for the Chinese name, plus an ASCII fallback.
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"list.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn import_error(error: &ImportError) -> ApiError {
    let (status, code) = match error {
        ImportError::UnknownProgram(_) => (404, "unknown_program"),
        ImportError::Unreadable(_) => (400, "unreadable_list"),
        ImportError::Ledger(_) | ImportError::Records(_) => (500, "import_failed"),
    };
    ApiError::new(
        status,
        code,
        error.describe(Lang::En),
        error.describe(Lang::Zh),
    )
}

#[derive(Debug, Deserialize)]
pub struct TemplateQuery {
    within: Option<String>,
}

/// `GET /admin/programs/{id}/template`: the program's import template.
pub async fn template(
    State(app): State<Arc<App>>,
    Path(program): Path<String>,
    Query(query): Query<TemplateQuery>,
    _admin: Administrator,
) -> Result<Response, ApiError> {
    let (bytes, name) = blocking(move || {
        let program = app
            .programs
            .iter()
            .find(|p| p.id() == program)
            .ok_or_else(|| import_error(&ImportError::UnknownProgram(program.clone())))?;
        let bytes = outpost_shared::spreadsheet::template(
            program,
            &app.jurisdictions(),
            query.within.as_deref(),
        )
        .map_err(|e| import_error(&ImportError::Unreadable(e)))?;
        Ok((
            bytes,
            format!("{}导入模板.xlsx", program.name().get(Lang::Zh)),
        ))
    })
    .await?;
    Ok(xlsx(bytes, &name))
}

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    program: String,
    creator: Option<String>,
    within: Option<String>,
    file_name: Option<String>,
}

/// `POST /admin/imports?program=…`: the body is the workbook. Answers the batch and its counts;
/// the failure workbook is at `/admin/imports/{batch}/failures`.
pub async fn import_list(
    State(app): State<Arc<App>>,
    Query(query): Query<ImportQuery>,
    _admin: Administrator,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = blocking(move || {
        let creator = query
            .creator
            .as_deref()
            .unwrap_or(crate::service::ADMINISTRATOR_ID);
        import::import_list(
            &app,
            ImportRequest {
                program: &query.program,
                bytes: &body,
                file_name: query.file_name.as_deref(),
                creator,
                within: query.within.as_deref(),
            },
            app.clock.now_ms(),
            &mut |_| {},
        )
        .map_err(|e| import_error(&e))
    })
    .await?;
    let failures_url =
        (outcome.failed > 0).then(|| format!("/admin/imports/{}/failures", outcome.batch));
    let mut json = serde_json::to_value(&outcome).map_err(|_| ApiError::internal())?;
    json["failures_url"] = serde_json::json!(failures_url);
    Ok((StatusCode::CREATED, Json(json)))
}

/// `GET /admin/imports`: the latest batches.
pub async fn batches(
    State(app): State<Arc<App>>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let batches = blocking(move || Ok(app.store.transaction(|tx| tx.batches(200))?)).await?;
    Ok(Json(batches))
}

/// `GET /admin/imports/{batch}/failures`: the batch's failure workbook.
pub async fn failures(
    State(app): State<Arc<App>>,
    Path(batch): Path<String>,
    _admin: Administrator,
) -> Result<Response, ApiError> {
    let found = blocking(move || Ok(app.store.transaction(|tx| tx.batch(&batch))?)).await?;
    match found {
        Some(batch) => match batch.failures {
            Some(bytes) => Ok(xlsx(bytes, &format!("导入失败名单-{}.xlsx", batch.batch))),
            None => Err(ApiError::new(
                404,
                "no_failures",
                "every row of this batch was imported".into(),
                "该批次全部导入成功，没有失败名单".into(),
            )),
        },
        None => Err(ApiError::new(
            404,
            "unknown_batch",
            "no such batch".into(),
            "没有这个批次".into(),
        )),
    }
}
