//! What every response carries and how an oversized request is answered.
//!
//! The console (`/console/`, its API, and the `/admin` endpoints it calls) is a same-origin
//! page with no inline script or style, so one strict policy fits every response: scripts,
//! styles and requests from this origin only; images also as `data:` (the enrolment QR code is
//! an SVG shown through a `data:` URL); never framed (`frame-ancestors 'none'`, and
//! `X-Frame-Options` for old browsers); no MIME sniffing; no referrer leaving the page.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use outpost_shared::sync::message::ErrorBody;

/// The console's Content-Security-Policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Middleware: the security headers on every response; a 413 that axum's body limit answered
/// in plain text answered again in the server's JSON error shape, naming the limit.
pub async fn harden(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json(&response) {
        response = too_large(limit).into_response();
    }
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// 413 in the JSON error shape.
pub fn too_large(limit: usize) -> impl IntoResponse {
    let size = readable_size(limit);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(ErrorBody::new(
            "too_large",
            format!(
                "the request is larger than this server accepts ({size}); send a smaller file or split the list"
            ),
            format!("请求内容超过服务器允许的大小（{size}），请发送较小的文件或拆分名单"),
        )),
    )
}

/// A byte count as people read it: MiB or KiB when it is a whole number of them.
pub fn readable_size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(readable_size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(readable_size(64 * 1024), "64 KiB");
        assert_eq!(readable_size(1000), "1000 bytes");
    }
}
