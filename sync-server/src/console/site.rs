//! The console's static files (`/console/`), from the front-end's built folder
//! (`mobile/ui/dist` by default, `console_dir` in the config file, `--console-dir` on the
//! command line). Only files inside that folder are served; a missing build answers 503 with
//! what to do, rather than a bare 404.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::Console;

/// The console's entry page inside the built folder.
const ENTRY: &str = "console.html";

/// Logs once at start-up when the console has not been built.
pub fn warn_if_missing(dir: &Path) {
    if !dir.join(ENTRY).is_file() {
        tracing::warn!(
            console_dir = %dir.display(),
            "the web console is not built: run `npm run build` in mobile/ui, or set console_dir"
        );
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") | Some("map") => "application/json",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `relative` inside `dir`, if it names a plain path below it (no `..`, no root, no prefix).
fn inside(dir: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(relative))
}

fn not_built(dir: &Path) -> Response {
    let body = format!(
        "控制台页面尚未构建：请在 mobile/ui 运行 npm run build，或在配置文件中设置 console_dir（当前：{}）。\n\
         The console is not built: run `npm run build` in mobile/ui, or set console_dir in the config file (now: {}).\n",
        dir.display(),
        dir.display()
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn serve(dir: PathBuf, relative: String) -> Response {
    if !dir.join(ENTRY).is_file() {
        return not_built(&dir);
    }
    let Some(path) = inside(&dir, &relative) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // A small file read on the blocking pool (tokio's `fs` feature is not enabled).
    let read = tokio::task::spawn_blocking(move || std::fs::read(&path).map(|b| (path, b))).await;
    match read {
        Ok(Ok((path, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(_)) | Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

pub async fn index(State(console): State<Arc<Console>>) -> Response {
    serve(console.app.config.console_dir.clone(), ENTRY.to_owned()).await
}

pub async fn file(State(console): State<Arc<Console>>, UrlPath(path): UrlPath<String>) -> Response {
    serve(console.app.config.console_dir.clone(), path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_of_the_folder_are_refused() {
        let dir = Path::new("/srv/console");
        assert!(inside(dir, "../etc/passwd").is_none());
        assert!(inside(dir, "console/../../x").is_none());
        assert!(inside(dir, "/etc/passwd").is_none());
        assert_eq!(
            inside(dir, "console/main.js"),
            Some(PathBuf::from("/srv/console/console/main.js"))
        );
    }
}
