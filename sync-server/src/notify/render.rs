//! A channel-neutral [`Notice`] rendered into each kind's request body, once, when it is
//! enqueued: the outbox stores exactly what every attempt sends. Signatures are added at send
//! time (they carry a timestamp), by `notify::channels`.

use serde_json::{Value, json};

use super::config::ChannelKind;
use super::{Message, Notice};

/// What the link is called in chat messages and e-mails.
const LINK_TEXT: &str = "查看详情";

/// WeCom rejects markdown content over 4096 bytes.
const WECOM_MAX_BYTES: usize = 4096;
/// DingTalk's documented limit for a markdown message is 20000 bytes; stay well below it.
const DINGTALK_MAX_BYTES: usize = 18_000;

/// The body (or, for e-mail, `{"subject", "body"}`) that `kind` sends for `notice`.
pub fn payload(
    kind: ChannelKind,
    notice: &Notice,
    link_base: Option<&str>,
    created_at_ms: i64,
) -> Value {
    let message = &notice.message;
    let link = message.link.as_deref().map(|l| absolute_link(l, link_base));
    match kind {
        ChannelKind::WeCom => json!({
            "msgtype": "markdown",
            "markdown": { "content": truncate(&markdown(message, link.as_deref(), "\n"), WECOM_MAX_BYTES) },
        }),
        ChannelKind::DingTalk => json!({
            "msgtype": "markdown",
            "markdown": {
                "title": message.title,
                // DingTalk markdown needs a blank line for a line break.
                "text": truncate(&markdown(message, link.as_deref(), "\n\n"), DINGTALK_MAX_BYTES),
            },
        }),
        ChannelKind::Feishu => feishu(message, link.as_deref()),
        ChannelKind::Webhook => json!({
            "idempotency_key": notice.idempotency_key,
            "title": message.title,
            "lines": message.lines,
            "link": link,
            "unit": notice.audience.unit,
            "recipients": notice.audience.recipients,
            "created_at": rfc3339(created_at_ms),
        }),
        ChannelKind::Smtp => json!({
            "subject": message.title,
            "body": plain_text(message, link.as_deref()),
        }),
    }
}

/// `link` as is if absolute, else joined to `base` (if there is one).
fn absolute_link(link: &str, base: Option<&str>) -> String {
    if link.starts_with("https://") || link.starts_with("http://") {
        return link.to_owned();
    }
    match base {
        Some(base) => format!(
            "{}/{}",
            base.trim_end_matches('/'),
            link.trim_start_matches('/')
        ),
        None => link.to_owned(),
    }
}

fn markdown(message: &Message, link: Option<&str>, break_: &str) -> String {
    let mut text = format!("**{}**", message.title);
    for line in &message.lines {
        text.push_str(break_);
        text.push_str(line);
    }
    if let Some(link) = link {
        text.push_str(break_);
        text.push_str(&format!("[{LINK_TEXT}]({link})"));
    }
    text
}

/// Feishu: a rich-text `post` when there is a link (so that it is clickable), plain `text`
/// otherwise.
fn feishu(message: &Message, link: Option<&str>) -> Value {
    match link {
        Some(link) => {
            let mut content: Vec<Value> = message
                .lines
                .iter()
                .map(|line| json!([{ "tag": "text", "text": line }]))
                .collect();
            content.push(json!([{ "tag": "a", "text": LINK_TEXT, "href": link }]));
            json!({
                "msg_type": "post",
                "content": { "post": { "zh_cn": { "title": message.title, "content": content } } },
            })
        }
        None => json!({
            "msg_type": "text",
            "content": { "text": plain_text(message, None) },
        }),
    }
}

fn plain_text(message: &Message, link: Option<&str>) -> String {
    let mut text = message.title.clone();
    for line in &message.lines {
        text.push('\n');
        text.push_str(line);
    }
    if let Some(link) = link {
        text.push_str(&format!("\n\n{LINK_TEXT}: {link}"));
    }
    text
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// At most `max` bytes, cut at a character boundary, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Audience;

    fn notice(link: Option<&str>) -> Notice {
        Notice {
            idempotency_key: "alert:r1:claim:town".into(),
            audience: Audience {
                unit: "440115001".into(),
                recipients: vec!["town_leader".into()],
            },
            message: Message {
                title: "未认领告警".into(),
                lines: vec!["南沙街道 1 条任务超过 10 分钟未认领".into(), "何*".into()],
                link: link.map(str::to_owned),
            },
        }
    }

    #[test]
    fn chat_robots_get_markdown_with_the_link() {
        let n = notice(Some("/tasks/r1"));
        let wecom = payload(ChannelKind::WeCom, &n, Some("https://outpost.example/"), 0);
        assert_eq!(wecom["msgtype"], "markdown");
        assert_eq!(
            wecom["markdown"]["content"],
            "**未认领告警**\n南沙街道 1 条任务超过 10 分钟未认领\n何*\n[查看详情](https://outpost.example/tasks/r1)"
        );
        let ding = payload(ChannelKind::DingTalk, &n, None, 0);
        assert_eq!(ding["markdown"]["title"], "未认领告警");
        assert!(
            ding["markdown"]["text"]
                .as_str()
                .unwrap()
                .contains("\n\n何*\n\n[查看详情](/tasks/r1)")
        );
    }

    #[test]
    fn feishu_is_a_post_with_a_link_and_text_without() {
        let post = payload(
            ChannelKind::Feishu,
            &notice(Some("https://x.example/a")),
            None,
            0,
        );
        assert_eq!(post["msg_type"], "post");
        assert_eq!(post["content"]["post"]["zh_cn"]["title"], "未认领告警");
        assert_eq!(
            post["content"]["post"]["zh_cn"]["content"][2][0]["href"],
            "https://x.example/a"
        );
        let text = payload(ChannelKind::Feishu, &notice(None), None, 0);
        assert_eq!(text["msg_type"], "text");
        assert!(
            text["content"]["text"]
                .as_str()
                .unwrap()
                .starts_with("未认领告警\n")
        );
    }

    #[test]
    fn webhook_body_carries_the_key_and_audience() {
        let body = payload(ChannelKind::Webhook, &notice(None), None, 1_700_000_000_000);
        assert_eq!(body["idempotency_key"], "alert:r1:claim:town");
        assert_eq!(body["unit"], "440115001");
        assert_eq!(body["recipients"][0], "town_leader");
        assert_eq!(body["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(body["link"], Value::Null);
    }

    #[test]
    fn long_wecom_content_is_cut_at_a_character_boundary() {
        let mut n = notice(None);
        n.message.lines = vec!["告警".repeat(2000)];
        let content = payload(ChannelKind::WeCom, &n, None, 0)["markdown"]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(content.len() <= WECOM_MAX_BYTES);
        assert!(content.ends_with('…'));
    }
}
