//! The HTTP transport: `POST {server}/v1/sync` with the device's bearer token.

use std::time::Duration;

use super::client::{Transport, TransportError};
use super::message::{ErrorBody, SyncRequest, SyncResponse};

/// A blocking HTTP client for one server and one device credential.
pub struct HttpTransport {
    client: reqwest::blocking::Client,
    url: String,
    token: String,
}

impl HttpTransport {
    /// `server` is the base address, e.g. `http://127.0.0.1:8080`.
    pub fn new(server: &str, token: &str, timeout: Duration) -> Result<Self, TransportError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        Ok(Self {
            client,
            url: format!("{}/v1/sync", server.trim_end_matches('/')),
            token: token.to_owned(),
        })
    }
}

impl Transport for HttpTransport {
    fn exchange(&mut self, request: &SyncRequest) -> Result<SyncResponse, TransportError> {
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|e| TransportError::BadResponse(e.to_string()))
        } else {
            let body: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| {
                ErrorBody::new(
                    "http_error",
                    format!("HTTP {status}"),
                    format!("服务器返回错误 {status}"),
                )
            });
            Err(TransportError::Refused {
                status: status.as_u16(),
                body,
            })
        }
    }
}
