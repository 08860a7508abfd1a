//! E-mail channels added in the console (推送设置 · 邮件): the relay, its encryption, an optional
//! user and password (write-only), the sender and the recipients, checked with messages a person
//! can act on before the notify config checks them again as a whole.

use serde::Deserialize;

use super::invalid;
use crate::notify::config::ChannelFile;
use crate::service::ApiError;

/// An e-mail channel as the console sends it: the relay, the sender and the recipients; the
/// password left out keeps the saved one while host and user name are unchanged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmtpInput {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    tls: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    from: String,
    to: Vec<String>,
}

/// Trimmed, `None` when blank.
fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// An e-mail channel from the console's input, checked with messages a person can act on; sent
/// back without its settings, the saved channel as it was.
pub(super) fn checked(
    id: String,
    input: Option<SmtpInput>,
    previous: Option<&ChannelFile>,
) -> Result<ChannelFile, ApiError> {
    let Some(input) = input else {
        return previous.cloned().ok_or_else(|| {
            invalid(
                format!("channel {id}: give the mail relay, sender and recipients"),
                format!("渠道 {id}：请填写邮件服务器、发件人和收件人"),
            )
        });
    };
    let host = input.host.trim().to_owned();
    if host.is_empty() {
        return Err(invalid(
            format!("channel {id}: give the mail relay's host name"),
            format!("渠道 {id}：请填写邮件服务器地址"),
        ));
    }
    let tls = given(input.tls).unwrap_or_else(|| "starttls".into());
    if !["none", "starttls", "tls"].contains(&tls.as_str()) {
        return Err(invalid(
            format!("channel {id}: the encryption is none, starttls or tls"),
            format!("渠道 {id}：加密方式须为不加密、STARTTLS 或 TLS"),
        ));
    }
    let username = given(input.username);
    // Left blank: the saved password, only for the same relay and user, so a password never
    // follows a channel to another server.
    let password = given(input.password).or_else(|| {
        previous
            .filter(|p| p.host.as_deref() == Some(host.as_str()) && p.username == username)
            .and_then(|p| p.password.clone())
    });
    if username.is_some() != password.is_some() {
        return Err(invalid(
            format!("channel {id}: give both the user name and the password, or neither"),
            format!("渠道 {id}：用户名和密码须同时填写或同时不填"),
        ));
    }
    let from = input.from.trim().to_owned();
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid(
            format!("channel {id}: the sender is not an e-mail address"),
            format!("渠道 {id}：发件人不是有效的邮箱地址"),
        ));
    }
    let to: Vec<String> = input
        .to
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if to.is_empty() {
        return Err(invalid(
            format!("channel {id}: give at least one recipient"),
            format!("渠道 {id}：请至少填写一个收件人"),
        ));
    }
    if let Some(bad) = to
        .iter()
        .find(|a| a.parse::<lettre::message::Mailbox>().is_err())
    {
        return Err(invalid(
            format!("channel {id}: {bad} is not an e-mail address"),
            format!("渠道 {id}：收件人 {bad} 不是有效的邮箱地址"),
        ));
    }
    Ok(ChannelFile {
        id,
        kind: "smtp".into(),
        host: Some(host),
        port: input.port,
        tls: Some(tls),
        username,
        password,
        from: Some(from),
        to: Some(to),
        ..ChannelFile::default()
    })
}
