//! A minimal SMTP server on 127.0.0.1:0: 220 greeting, EHLO/HELO, MAIL, RCPT, DATA … ".",
//! RSET, NOOP, QUIT — enough for a client to hand over a message. It can refuse the first N
//! messages with a transient 451, and decodes what it got (RFC 2047 subjects, base64 or
//! quoted-printable bodies) so tests can compare the Chinese text.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
}

#[derive(Default)]
pub struct SinkState {
    pub mails: Mutex<Vec<Mail>>,
    refuse: Mutex<usize>,
    pub refused: Mutex<usize>,
}

impl SinkState {
    /// The next `n` messages get "451 try again later" after their data.
    pub fn refuse(&self, n: usize) {
        *self.refuse.lock().unwrap() += n;
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub state: Arc<SinkState>,
}

pub fn start(runtime: &tokio::runtime::Runtime) -> SmtpSink {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(SinkState::default());
    let shared = state.clone();
    runtime.spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let state = shared.clone();
            tokio::spawn(async move {
                let _ = session(socket, &state).await;
            });
        }
    });
    SmtpSink { port, state }
}

async fn session(socket: tokio::net::TcpStream, state: &SinkState) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test greets you\r\n250 HELP\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_owned();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_owned());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            let refuse = {
                let mut left = state.refuse.lock().unwrap();
                let refuse = *left > 0;
                *left = left.saturating_sub(1);
                refuse
            };
            if refuse {
                *state.refused.lock().unwrap() += 1;
                b"451 4.3.0 try again later\r\n"
            } else {
                state.mails.lock().unwrap().push(Mail {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 ok queued\r\n"
            }
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// Headers (unfolded) and the decoded body of a message.
pub fn parse(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let headers: Vec<(String, String)> = unfolded
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let encoding = headers
        .iter()
        .find(|(k, _)| k == "content-transfer-encoding")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "base64" => String::from_utf8(BASE64.decode(body.replace("\r\n", "")).unwrap()).unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    (headers, body.replace("\r\n", "\n").trim_end().to_owned())
}

pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped, as the RFC says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    // Whether the previous token was an encoded word (None before the first).
    let mut previous: Option<bool> = None;
    for token in value.split_whitespace() {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                Some((parts.next()?, parts.next()?, parts.next()?))
            });
        match word {
            Some((_charset, encoding, text)) => {
                if previous == Some(false) {
                    out.push(' ');
                }
                let bytes = if encoding.eq_ignore_ascii_case("b") {
                    BASE64.decode(text).unwrap()
                } else {
                    quoted_printable(&text.replace('_', " ")).into_bytes()
                };
                out.push_str(&String::from_utf8(bytes).unwrap());
                previous = Some(true);
            }
            None => {
                if previous.is_some() {
                    out.push(' ');
                }
                out.push_str(token);
                previous = Some(false);
            }
        }
    }
    out
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 3 <= bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}
