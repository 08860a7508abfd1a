//! `outpost-server import`: a list into the configured ledger, or through a running server's
//! admin API. Prints one JSON line for scripts and progress on stderr for people.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use outpost_shared::i18n::{Describe, Lang};
use outpost_sync_server::config::ConfigFile;
use outpost_sync_server::import::{self, ImportProgress, ImportRequest};

pub struct Request {
    pub program: String,
    pub file: PathBuf,
    pub failures: Option<PathBuf>,
    pub creator: String,
    pub within: Option<String>,
}

fn read(request: &Request) -> Result<Vec<u8>> {
    std::fs::read(&request.file).with_context(|| format!("cannot read {}", request.file.display()))
}

fn file_name(request: &Request) -> Option<String> {
    request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

fn write_failures(request: &Request, bytes: Option<&[u8]>) -> Result<()> {
    if let (Some(path), Some(bytes)) = (&request.failures, bytes) {
        std::fs::write(path, bytes)
            .with_context(|| format!("cannot write the failure workbook {}", path.display()))?;
        eprintln!("失败名单 / failure workbook: {}", path.display());
    }
    Ok(())
}

fn print_line(batch: &str, rows: u64, imported: u64, failed: u64) {
    println!(
        "{}",
        serde_json::json!({"batch": batch, "rows": rows, "imported": imported, "failed": failed})
    );
}

/// Progress on stderr: a line every tenth of the way, so a 100k-row list is visibly moving.
fn progress_printer() -> impl FnMut(ImportProgress) {
    let mut last_tenth = (0usize, usize::MAX);
    move |progress| {
        let (stage, done, total) = match progress {
            ImportProgress::Checking { done, total } => (0, done, total),
            ImportProgress::Dispatching { done, total } => (1, done, total),
        };
        let tenth = (done * 10).checked_div(total).unwrap_or(10);
        if (stage, tenth) != last_tenth {
            last_tenth = (stage, tenth);
            let label = if stage == 0 {
                "校验 / checking"
            } else {
                "派发 / dispatching"
            };
            eprintln!("{label}: {done}/{total}");
            let _ = std::io::stderr().flush();
        }
    }
}

/// Into the configured ledger (SQLite file or PostgreSQL), as the server itself would.
pub fn into_ledger(request: &Request, mut file: ConfigFile) -> Result<()> {
    let bytes = read(request)?;
    // This process never serves: it only needs the ledger and the assets, so the admin token
    // the server config requires is a throw-away random one.
    if file.admin_token.is_none() {
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).map_err(|e| anyhow!("no randomness: {e}"))?;
        file.admin_token = Some(hex::encode(random));
    }
    let app = outpost_sync_server::app(file.resolve()?)?;
    let name = file_name(request);
    let outcome = import::import_list(
        &app,
        ImportRequest {
            program: &request.program,
            bytes: &bytes,
            file_name: name.as_deref(),
            creator: &request.creator,
            within: request.within.as_deref(),
        },
        app.clock.now_ms(),
        &mut progress_printer(),
    )
    .map_err(|e| anyhow!("{}\n{}", e.describe(Lang::Zh), e.describe(Lang::En)))?;
    write_failures(request, outcome.failure_workbook.as_deref())?;
    print_line(
        &outcome.batch,
        outcome.rows as u64,
        outcome.imported as u64,
        outcome.failed as u64,
    );
    Ok(())
}

/// Through a running server's `POST /admin/imports`.
pub fn through_server(request: &Request, server: &str, token: Option<String>) -> Result<()> {
    let token =
        token.ok_or_else(|| anyhow!("--server needs --admin-token (or OUTPOST_ADMIN_TOKEN)"))?;
    let bytes = read(request)?;
    let base = server.trim_end_matches('/');
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(600))
        .build()?;
    let mut query = vec![
        ("program", request.program.clone()),
        ("creator", request.creator.clone()),
    ];
    if let Some(within) = &request.within {
        query.push(("within", within.clone()));
    }
    if let Some(name) = file_name(request) {
        query.push(("file_name", name));
    }
    eprintln!("上传中 / uploading {} bytes to {base}", bytes.len());
    let response = client
        .post(format!("{base}/admin/imports"))
        .bearer_auth(&token)
        .query(&query)
        .body(bytes)
        .send()
        .with_context(|| format!("cannot reach {base}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().context("the server's answer is not JSON")?;
    if !status.is_success() {
        bail!(
            "{}\n{}",
            body["message_zh"].as_str().unwrap_or_default(),
            body["message"].as_str().unwrap_or("import refused")
        );
    }
    let batch = body["batch"].as_str().unwrap_or_default().to_owned();
    if let (Some(_), Some(url)) = (&request.failures, body["failures_url"].as_str()) {
        let workbook = client
            .get(format!("{base}{url}"))
            .bearer_auth(&token)
            .send()?
            .error_for_status()?
            .bytes()?;
        write_failures(request, Some(&workbook))?;
    }
    let number = |key: &str| body[key].as_u64().unwrap_or(0);
    print_line(&batch, number("rows"), number("imported"), number("failed"));
    Ok(())
}
