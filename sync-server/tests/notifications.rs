//! Notifications end to end on real parts: the outbox in SQLite and PostgreSQL
//! (`OUTPOST_TEST_POSTGRES`, required under CI), real HTTP receivers on loopback that check the
//! vendors' signatures, an SMTP sink, workers stopped and killed mid-way. Backoff runs on a
//! manual clock, so hours of retries take milliseconds; every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_sync_server::config::ConfigFile;
use outpost_sync_server::notify::{
    Audience, Clock, DeliveryOutcome, ManualClock, Message, Notice, Notifier, NotifyFile,
    RetryPolicy, StatusCounts,
};
use support::receiver::{self, Fault};
use support::{config, databases, runtime, start_worker, wait_until, wall_ms};

const WAIT: Duration = Duration::from_secs(20);

fn notice(key: &str, unit: &str, recipients: &[&str], title: &str) -> Notice {
    Notice {
        idempotency_key: key.into(),
        audience: Audience {
            unit: unit.into(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        },
        message: Message {
            title: title.into(),
            lines: vec![
                "南沙街道 1 条核查任务超过 10 分钟未认领".into(),
                "人员：何*（138****5678）".into(),
            ],
            link: Some("tasks/rec-1".into()),
        },
    }
}

fn outcomes(notifier: &Notifier, key: &str, channel: &str) -> Vec<(u32, DeliveryOutcome)> {
    let mut log: Vec<_> = notifier
        .deliveries(Some(key), 1000)
        .unwrap()
        .into_iter()
        .filter(|d| d.channel == channel)
        .map(|d| (d.attempt, d.outcome))
        .collect();
    log.reverse();
    log
}

#[test]
fn every_channel_kind_delivers_a_signed_body_in_the_vendors_format() {
    for db in databases("notify_formats") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let notifier = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);

        let report = notifier
            .enqueue(
                &notice(
                    "alert:rec-1:unclaimed:town",
                    "440115001",
                    &["town_leader", "task_force_group"],
                    "未认领告警#1#",
                ),
                clock.now_ms(),
            )
            .unwrap();
        assert_eq!(
            report.channels,
            ["town-wecom", "task-force-dingtalk", "ops-webhook"],
            "{}",
            db.label
        );
        assert_eq!(report.newly_queued, 3);
        assert!(report.unrouted.is_empty());
        let district = notifier
            .enqueue(
                &notice(
                    "alert:rec-1:unclaimed:district",
                    "440115",
                    &["district_leader"],
                    "未认领告警#2#",
                ),
                clock.now_ms(),
            )
            .unwrap();
        assert_eq!(district.channels, ["district-feishu"]);

        assert!(
            wait_until(WAIT, || rx.state.accepted().len() == 4),
            "{}: {:?}",
            db.label,
            rx.state.rejected()
        );
        assert!(rx.state.rejected().is_empty(), "{:?}", rx.state.rejected());
        let got = rx.state.accepted();
        let of = |kind: &str| got.iter().find(|r| r.kind == kind).unwrap();

        let wecom = &of("wecom").body;
        assert_eq!(wecom["msgtype"], "markdown");
        let content = wecom["markdown"]["content"].as_str().unwrap();
        assert!(
            content.starts_with("**未认领告警#1#**\n南沙街道"),
            "{content}"
        );
        assert!(content.ends_with("[查看详情](https://outpost.example/tasks/rec-1)"));

        let ding = &of("dingtalk").body;
        assert_eq!(ding["markdown"]["title"], "未认领告警#1#");
        assert!(
            ding["markdown"]["text"]
                .as_str()
                .unwrap()
                .contains("\n\n人员：何*")
        );

        let feishu = &of("feishu").body;
        assert_eq!(feishu["msg_type"], "post");
        let post = &feishu["content"]["post"]["zh_cn"];
        assert_eq!(post["title"], "未认领告警#2#");
        assert_eq!(post["content"][2][0]["tag"], "a");

        let hook = of("webhook");
        assert_eq!(hook.body["idempotency_key"], "alert:rec-1:unclaimed:town");
        assert_eq!(
            hook.headers["x-outpost-idempotency-key"],
            "alert:rec-1:unclaimed:town"
        );
        assert_eq!(hook.body["unit"], "440115001");
        assert_eq!(
            hook.body["recipients"],
            serde_json::json!(["town_leader", "task_force_group"])
        );
        assert_eq!(hook.body["lines"][1], "人员：何*（138****5678）");
        assert_eq!(hook.body["link"], "https://outpost.example/tasks/rec-1");
        assert!(hook.body["created_at"].as_str().unwrap().ends_with('Z'));

        // The receiver answers before the worker records the outcome: wait for the records.
        assert!(wait_until(WAIT, || notifier.status_counts().unwrap().sent == 4));
        for channel in ["town-wecom", "task-force-dingtalk", "ops-webhook"] {
            assert_eq!(
                outcomes(&notifier, "alert:rec-1:unclaimed:town", channel),
                [(1, DeliveryOutcome::Sent)],
                "{} {channel}",
                db.label
            );
        }
        let entry = &notifier.deliveries(None, 1).unwrap()[0];
        assert_eq!(entry.http_status, Some(200));
        worker.stop(&rt);
    }
}

#[test]
fn a_wrong_signature_is_refused_by_the_receiver_and_logged_as_a_failure() {
    for db in databases("notify_badsign") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let text = format!(
            r#"
poll_ms = 20
[[channels]]
id = "ding-wrong-secret"
kind = "dingtalk"
url = "{}/dingtalk/send?access_token=t"
secret = "SECnot-the-robot-secret"
[[routes]]
unit = "440115"
recipient = "task_force_group"
channels = ["ding-wrong-secret"]
"#,
            rx.base
        );
        let config = toml::from_str::<NotifyFile>(&text)
            .unwrap()
            .validate()
            .unwrap();
        let notifier = Notifier::open(config, &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);
        notifier
            .enqueue(
                &notice("k-bad", "440115", &["task_force_group"], "告警"),
                clock.now_ms(),
            )
            .unwrap();
        assert!(wait_until(WAIT, || !notifier
            .deliveries(None, 10)
            .unwrap()
            .is_empty()));
        let entry = &notifier.deliveries(None, 10).unwrap()[0];
        assert_eq!(entry.outcome, DeliveryOutcome::Failed, "{}", db.label);
        assert_eq!(entry.http_status, Some(200));
        assert_eq!(
            entry.error.as_deref(),
            Some("errcode 310000: sign not match")
        );
        assert!(rx.state.accepted().is_empty());
        assert_eq!(
            notifier.status_counts().unwrap(),
            StatusCounts {
                pending: 1,
                sent: 0,
                dead: 0
            }
        );
        worker.stop(&rt);
    }
}

#[test]
fn a_failing_receiver_is_retried_with_backoff_and_gets_the_message_once() {
    for db in databases("notify_retry") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state.fail(
            "wecom",
            &[Fault::ServerError, Fault::ServerError, Fault::VendorError],
        );
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let notifier = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);
        let key = "alert:rec-2:unanswered:town";
        notifier
            .enqueue(
                &notice(key, "440115001", &["town_leader"], "未反馈告警#2#"),
                clock.now_ms(),
            )
            .unwrap();
        let logged =
            |n: usize| wait_until(WAIT, || outcomes(&notifier, key, "town-wecom").len() == n);
        assert!(logged(1), "{}", db.label);

        // Not before the backoff: 10 s (+ up to 25 %) after the first failure.
        std::thread::sleep(Duration::from_millis(200));
        clock.advance(9_000);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(rx.state.hits("wecom"), 1, "{}: retried too early", db.label);
        clock.advance(RetryPolicy::delay_ms(key, "town-wecom", 1) - 9_000);
        assert!(logged(2));
        clock.advance(RetryPolicy::delay_ms(key, "town-wecom", 2) - 1);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(rx.state.hits("wecom"), 2, "{}: retried too early", db.label);
        clock.advance(1);
        assert!(logged(3));
        clock.advance(RetryPolicy::delay_ms(key, "town-wecom", 3));
        assert!(logged(4));

        assert_eq!(
            outcomes(&notifier, key, "town-wecom"),
            [
                (1, DeliveryOutcome::Failed),
                (2, DeliveryOutcome::Failed),
                (3, DeliveryOutcome::Failed),
                (4, DeliveryOutcome::Sent),
            ]
        );
        let log = notifier.deliveries(Some(key), 10).unwrap();
        assert_eq!(log[3].http_status, Some(500));
        assert_eq!(log[3].error.as_deref(), Some("HTTP 500"));
        assert_eq!(
            log[1].error.as_deref(),
            Some("errcode 310000: keywords not in content")
        );
        assert_eq!(rx.state.accepted_with("wecom", "未反馈告警#2#"), 1);

        // Sent is final: hours later nothing more goes out.
        clock.advance(3 * 3_600_000);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(rx.state.hits("wecom"), 4);
        assert_eq!(notifier.status_counts().unwrap().sent, 1);
        worker.stop(&rt);
    }
}

#[test]
fn a_delivery_that_keeps_failing_is_dead_after_max_attempts() {
    for db in databases("notify_dead") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state.fail("webhook", &[Fault::ServerError; 10]);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let notifier = Notifier::open(config(&rx.base, "max_attempts = 3"), &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);
        notifier
            .enqueue(
                &notice("k-dead", "440115", &["ops"], "告警"),
                clock.now_ms(),
            )
            .unwrap();
        for attempts in 1..=3 {
            assert!(
                wait_until(WAIT, || outcomes(&notifier, "k-dead", "ops-webhook").len()
                    == attempts),
                "{}",
                db.label
            );
            clock.advance(RetryPolicy::MAX_DELAY_MS);
        }
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            outcomes(&notifier, "k-dead", "ops-webhook"),
            [
                (1, DeliveryOutcome::Failed),
                (2, DeliveryOutcome::Failed),
                (3, DeliveryOutcome::Dead)
            ]
        );
        assert_eq!(rx.state.hits("webhook"), 3, "{}", db.label);
        assert_eq!(
            notifier.status_counts().unwrap(),
            StatusCounts {
                pending: 0,
                sent: 0,
                dead: 1
            }
        );
        worker.stop(&rt);
    }
}

#[test]
fn a_hanging_receiver_times_out_without_holding_up_other_channels() {
    for db in databases("notify_hang") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state
            .fail("wecom", &[Fault::Hang(Duration::from_secs(10))]);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let notifier = Notifier::open(config(&rx.base, "timeout_ms = 1500"), &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);
        let key = "alert:rec-3:unclaimed:town";
        notifier
            .enqueue(
                &notice(key, "440115001", &["town_leader"], "告警#3#"),
                clock.now_ms(),
            )
            .unwrap();
        assert!(wait_until(WAIT, || rx.state.hangs_started().len() == 1));
        let hang_started = rx.state.hangs_started()[0];
        notifier
            .enqueue(
                &notice("k-others", "440115001", &["task_force_group"], "告警#4#"),
                clock.now_ms(),
            )
            .unwrap();
        assert!(wait_until(WAIT, || rx.state.accepted().len() == 2));
        for other in rx.state.accepted() {
            assert!(
                other.at.duration_since(hang_started) < Duration::from_millis(1500),
                "{}: {} waited for the hanging channel",
                db.label,
                other.kind
            );
        }
        let started = Instant::now();
        assert!(wait_until(WAIT, || outcomes(&notifier, key, "town-wecom")
            .len()
            == 1));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the timeout bounds the send"
        );
        let log = notifier.deliveries(Some(key), 10).unwrap();
        assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
        assert_eq!(log[0].error.as_deref(), Some("timed out after 1500 ms"));

        clock.advance(RetryPolicy::delay_ms(key, "town-wecom", 1));
        assert!(wait_until(WAIT, || rx
            .state
            .accepted_with("wecom", "告警#3#")
            == 1));
        assert!(wait_until(WAIT, || outcomes(&notifier, key, "town-wecom")
            == [(1, DeliveryOutcome::Failed), (2, DeliveryOutcome::Sent)]));
        worker.stop(&rt);
    }
}

#[test]
fn e_mail_arrives_with_the_chinese_subject_and_body() {
    for db in databases("notify_email") {
        let rt = runtime();
        let sink = support::smtp::start(&rt);
        sink.state.refuse(1);
        let text = format!(
            r#"
poll_ms = 20
timeout_ms = 5000
link_base = "https://outpost.example"
[[channels]]
id = "leaders-mail"
kind = "smtp"
host = "127.0.0.1"
port = {port}
tls = "none"
from = "Outpost 告警 <alerts@outpost.example>"
to = ["南沙街道领导 <leader@nansha.example>", "duty@nansha.example"]
[[routes]]
unit = "440115001"
recipient = "town_leader"
channels = ["leaders-mail"]
"#,
            port = sink.port
        );
        let config = toml::from_str::<NotifyFile>(&text)
            .unwrap()
            .validate()
            .unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let notifier = Notifier::open(config, &db.database).unwrap();
        let worker = start_worker(&rt, &notifier, &clock);
        let key = "alert:rec-5:unclaimed:town";
        notifier
            .enqueue(
                &notice(key, "440115001", &["town_leader"], "未认领告警：南沙街道"),
                clock.now_ms(),
            )
            .unwrap();
        assert!(wait_until(WAIT, || outcomes(
            &notifier,
            key,
            "leaders-mail"
        )
        .len()
            == 1));
        let log = notifier.deliveries(Some(key), 10).unwrap();
        assert_eq!(log[0].outcome, DeliveryOutcome::Failed, "{}", db.label);
        assert_eq!(log[0].error.as_deref(), Some("SMTP transient error 451"));
        clock.advance(RetryPolicy::delay_ms(key, "leaders-mail", 1));
        assert!(wait_until(WAIT, || sink.state.mails.lock().unwrap().len() == 1));

        let mail = sink.state.mails.lock().unwrap()[0].clone();
        assert_eq!(mail.from, "<alerts@outpost.example>");
        assert_eq!(
            mail.to,
            ["<leader@nansha.example>", "<duty@nansha.example>"]
        );
        let (headers, body) = support::smtp::parse(&mail.data);
        let subject = support::smtp::header(&headers, "subject").unwrap();
        assert_eq!(support::smtp::decode_words(subject), "未认领告警：南沙街道");
        assert!(
            support::smtp::header(&headers, "content-type")
                .unwrap()
                .to_ascii_lowercase()
                .contains("charset=utf-8")
        );
        assert!(
            support::smtp::header(&headers, "message-id")
                .unwrap()
                .ends_with("@outpost.notify>")
        );
        assert_eq!(
            body,
            "未认领告警：南沙街道\n南沙街道 1 条核查任务超过 10 分钟未认领\n人员：何*（138****5678）\n\n查看详情: https://outpost.example/tasks/rec-1"
        );
        assert_eq!(*sink.state.refused.lock().unwrap(), 1);
        assert!(wait_until(WAIT, || outcomes(
            &notifier,
            key,
            "leaders-mail"
        ) == [
            (1, DeliveryOutcome::Failed),
            (2, DeliveryOutcome::Sent)
        ]));
        worker.stop(&rt);
    }
}

#[test]
fn after_a_restart_mid_way_every_notice_is_delivered_exactly_once() {
    for db in databases("notify_restart") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state.set_delay(Duration::from_millis(30));
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let settings = "max_in_flight = 2";
        let notifier = Notifier::open(config(&rx.base, settings), &db.database).unwrap();
        for n in 0..30 {
            notifier
                .enqueue(
                    &notice(&format!("k-{n}"), "440115", &["ops"], &format!("告警#{n}#")),
                    clock.now_ms(),
                )
                .unwrap();
        }
        let worker = start_worker(&rt, &notifier, &clock);
        assert!(wait_until(WAIT, || rx.state.accepted().len() >= 5));
        worker.stop(&rt);
        drop(notifier);
        let before = rx.state.accepted().len();
        assert!(before < 30, "{}: the restart was not mid-way", db.label);

        let notifier = Notifier::open(config(&rx.base, settings), &db.database).unwrap();
        assert_eq!(notifier.status_counts().unwrap().sent as usize, before);
        let worker = start_worker(&rt, &notifier, &clock);
        assert!(wait_until(WAIT, || notifier.status_counts().unwrap().sent == 30));
        worker.stop(&rt);
        for n in 0..30 {
            assert_eq!(
                rx.state.accepted_with("webhook", &format!("告警#{n}#")),
                1,
                "{}: notice {n}",
                db.label
            );
        }
        assert_eq!(rx.state.accepted().len(), 30);
    }
}

#[test]
fn a_lease_left_by_a_killed_worker_expires_and_another_instance_sends_it() {
    for db in databases("notify_lease") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state
            .fail("webhook", &[Fault::Hang(Duration::from_secs(30))]);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let config = config(&rx.base, "timeout_ms = 20000");
        let first = Notifier::open(config.clone(), &db.database).unwrap();
        first
            .enqueue(
                &notice("k-lease", "440115", &["ops"], "告警#9#"),
                clock.now_ms(),
            )
            .unwrap();
        let worker = start_worker(&rt, &first, &clock);
        assert!(wait_until(WAIT, || rx.state.hangs_started().len() == 1));
        worker.kill(&rt);
        drop(first);

        let second = Notifier::open(config, &db.database).unwrap();
        let worker = start_worker(&rt, &second, &clock);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            rx.state.hits("webhook"),
            1,
            "{}: claimed under a live lease",
            db.label
        );
        // The lease is 2 × timeout + 30 s.
        clock.advance(2 * 20_000 + 30_000);
        assert!(wait_until(WAIT, || rx
            .state
            .accepted_with("webhook", "告警#9#")
            == 1));
        assert!(wait_until(WAIT, || outcomes(
            &second,
            "k-lease",
            "ops-webhook"
        ) == [(2, DeliveryOutcome::Sent)]));
        worker.stop(&rt);
    }
}

#[test]
fn the_same_key_enqueued_twice_by_two_instances_is_delivered_once() {
    for db in databases("notify_idempotent") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let one = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let two = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let alert = notice(
            "alert:rec-7:unclaimed:town",
            "440115001",
            &["town_leader", "task_force_group"],
            "告警#7#",
        );
        assert_eq!(one.enqueue(&alert, clock.now_ms()).unwrap().newly_queued, 3);
        assert_eq!(one.enqueue(&alert, clock.now_ms()).unwrap().newly_queued, 0);
        let again = two.enqueue(&alert, clock.now_ms() + 5_000).unwrap();
        assert_eq!(again.newly_queued, 0, "{}", db.label);
        assert_eq!(again.channels.len(), 3);

        let w1 = start_worker(&rt, &one, &clock);
        let w2 = start_worker(&rt, &two, &clock);
        assert!(wait_until(WAIT, || one.status_counts().unwrap().sent == 3));
        // Enqueued again after it was sent: still nothing new.
        assert_eq!(two.enqueue(&alert, clock.now_ms()).unwrap().newly_queued, 0);
        std::thread::sleep(Duration::from_millis(200));
        w1.stop(&rt);
        w2.stop(&rt);
        for kind in ["wecom", "dingtalk", "webhook"] {
            assert_eq!(
                rx.state.accepted_with(kind, "告警#7#"),
                1,
                "{} {kind}",
                db.label
            );
        }
        assert_eq!(rx.state.accepted().len(), 3);
    }
}

#[test]
fn two_workers_on_one_database_deliver_each_message_once() {
    for db in databases("notify_two_workers") {
        let rt = runtime();
        let rx = receiver::start(&rt);
        rx.state.set_delay(Duration::from_millis(15));
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let one = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let two = Notifier::open(config(&rx.base, ""), &db.database).unwrap();
        let w1 = start_worker(&rt, &one, &clock);
        let w2 = start_worker(&rt, &two, &clock);
        for n in 0..40 {
            let by = if n % 2 == 0 { &one } else { &two };
            by.enqueue(
                &notice(
                    &format!("k-{n}"),
                    "440115001",
                    &["town_leader", "ops"],
                    &format!("告警#{n}#"),
                ),
                clock.now_ms(),
            )
            .unwrap();
        }
        assert!(
            wait_until(WAIT, || one.status_counts().unwrap().sent == 80),
            "{}: {:?}",
            db.label,
            one.status_counts()
        );
        std::thread::sleep(Duration::from_millis(200));
        w1.stop(&rt);
        w2.stop(&rt);
        for n in 0..40 {
            for kind in ["wecom", "webhook"] {
                assert_eq!(
                    rx.state.accepted_with(kind, &format!("告警#{n}#")),
                    1,
                    "{}: {kind} {n}",
                    db.label
                );
            }
        }
        assert_eq!(rx.state.accepted().len(), 80);
        let log = one.deliveries(None, 1000).unwrap();
        assert_eq!(log.len(), 80, "one attempt each");
        assert!(
            log.iter()
                .all(|d| d.outcome == DeliveryOutcome::Sent && d.attempt == 1)
        );
    }
}

#[test]
fn recipients_without_a_route_are_reported_and_bad_notices_refused() {
    for db in databases("notify_unrouted") {
        let notifier = Notifier::open(config("http://127.0.0.1:9", ""), &db.database).unwrap();
        let report = notifier
            .enqueue(
                &notice(
                    "k-1",
                    "440116001",
                    &["town_leader", "community_leader"],
                    "告警",
                ),
                0,
            )
            .unwrap();
        assert!(report.channels.is_empty(), "{}", db.label);
        assert_eq!(report.newly_queued, 0);
        assert_eq!(report.unrouted, ["town_leader", "community_leader"]);
        // A descendant unit: the task-force route covers the district's subtree, the exact
        // town route does not cover the community below the town.
        let report = notifier
            .enqueue(
                &notice(
                    "k-2",
                    "440115001001",
                    &["town_leader", "task_force_group"],
                    "告警",
                ),
                0,
            )
            .unwrap();
        assert_eq!(report.channels, ["task-force-dingtalk", "ops-webhook"]);
        assert_eq!(report.unrouted, ["town_leader"]);
        assert_eq!(notifier.status_counts().unwrap().pending, 2);

        for bad in [
            notice("", "440115", &["ops"], "告警"),
            notice("has space", "440115", &["ops"], "告警"),
            notice("键", "440115", &["ops"], "告警"),
            notice("k", "", &["ops"], "告警"),
            notice("k", "440115", &["ops"], " "),
        ] {
            let error = notifier.enqueue(&bad, 0).unwrap_err().to_string();
            assert!(error.starts_with("the notice is not valid"), "{error}");
        }
    }
}

fn config_error(section: &str) -> String {
    toml::from_str::<NotifyFile>(section)
        .map_err(|e| e.to_string())
        .and_then(|f| f.validate().map_err(|e| e.to_string()))
        .expect_err(section)
}

#[test]
fn config_errors_say_what_is_wrong_without_repeating_secrets() {
    let cases = [
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
[[routes]]
unit = "440115001"
recipient = "town_leader"
channels = ["b"]"#,
            r#"route #1 (440115001, town_leader) names channel "b", which is not defined (defined: a)"#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "not a url secret-key""#,
            r#"channel "a": the url is not a valid URL"#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?token=secret-key""#,
            "has no `key=` parameter",
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "webhook"
url = "https://hooks.example/outpost""#,
            r#"channel "a" (webhook) needs `secret`"#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=t"
secret = "secret-key""#,
            "starts with SEC",
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send""#,
            "has no `access_token=` parameter",
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wechat"
url = "https://x.example""#,
            r#"unknown kind "wechat""#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "webhook"
url = "ftp://x.example/"
secret = "s""#,
            "must start with https://",
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k""#,
            r#"channel id "a" is used twice"#,
        ),
        (
            r#"
[[channels]]
id = "m"
kind = "smtp"
host = "smtp.example.org"
tls = "none"
username = "u"
password = "secret-key"
from = "a@example.org"
to = ["b@example.org"]"#,
            "would send the password in clear text",
        ),
        (
            r#"
[[channels]]
id = "m"
kind = "smtp"
host = "smtp.example.org"
from = "a@example.org"
to = ["not an address"]"#,
            "`to` #1 is not an e-mail address",
        ),
        (
            r#"
[[channels]]
id = "m"
kind = "smtp"
host = "smtp.example.org"
tls = "ssl"
from = "a@example.org"
to = ["b@example.org"]"#,
            r#"tls = "ssl" is not one of"#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
secret = "secret-key""#,
            r#"channel "a" (wecom) does not take `secret`"#,
        ),
        (
            r#"
[[channels]]
id = "a"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
[[routes]]
unit = "南沙"
recipient = "town_leader"
channels = ["a"]"#,
            "the unit must be a jurisdiction code",
        ),
        ("max_attempts = 0", "`max_attempts` must be at least 1"),
        ("timeout_ms = 0", "`timeout_ms` must be at least 1"),
        ("retries = 3", "unknown field `retries`"),
    ];
    for (section, expected) in cases {
        let error = config_error(section);
        assert!(error.contains(expected), "{error}\n  expected: {expected}");
        assert!(!error.contains("secret-key"), "a secret leaked: {error}");
    }
}

#[test]
fn the_server_config_file_takes_the_notify_section() {
    let text = r#"
admin_token = "notify-test-admin-token"

[[notify.channels]]
id = "nansha-town-leaders"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"

[[notify.channels]]
id = "task-force"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=t"
secret = "SECabc"

[[notify.channels]]
id = "mail"
kind = "smtp"
host = "smtp.example.org"
tls = "tls"
username = "alerts"
password = "pw"
from = "alerts@example.org"
to = ["leader@example.org"]

[[notify.routes]]
unit = "440115001"
recipient = "town_leader"
channels = ["nansha-town-leaders", "mail"]

[notify]
link_base = "https://outpost.example/"
max_attempts = 5
"#;
    let file: ConfigFile = toml::from_str(text).unwrap();
    let config = file.resolve().unwrap();
    assert_eq!(config.notify.channels.len(), 3);
    assert_eq!(config.notify.max_attempts, 5);
    assert_eq!(config.notify.timeout, Duration::from_secs(10));
    assert_eq!(
        config.notify.channels_for("440115001", "town_leader"),
        ["nansha-town-leaders", "mail"]
    );
    let printed = format!("{config:?}");
    assert!(
        !printed.contains("key=abc") && !printed.contains("\"pw\""),
        "{printed}"
    );

    let bad: ConfigFile = toml::from_str(
        "admin_token = \"notify-test-admin-token\"\n[[notify.routes]]\nunit = \"440115\"\nrecipient = \"x\"\nchannels = [\"nope\"]\n",
    )
    .unwrap();
    let error = bad.resolve().unwrap_err().to_string();
    assert!(error.starts_with("[notify] section: route #1"), "{error}");
}

#[test]
fn the_admin_route_shows_counts_and_attempts_of_the_servers_own_worker() {
    let rt = runtime();
    let rx = receiver::start(&rt);
    let dir = tempfile::tempdir().unwrap();
    let admin = "notify-test-admin-token";
    let mut config = ConfigFile {
        database: Some(dir.path().join("ledger.db").display().to_string()),
        admin_token: Some(admin.into()),
        assets: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..ConfigFile::default()
    }
    .resolve()
    .unwrap();
    config.notify = support::config(&rx.base, "");
    let app = outpost_sync_server::app(config).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!(
        "http://{}/admin/notifications",
        listener.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(outpost_sync_server::serve_app(
        listener,
        app.clone(),
        async {
            let _ = stopped.await;
        },
    ));

    app.notifier
        .enqueue(
            &notice("k-admin", "440115001", &["town_leader"], "告警#admin#"),
            wall_ms(),
        )
        .unwrap();
    assert!(wait_until(WAIT, || rx.state.accepted().len() == 1));

    let client = reqwest::blocking::Client::new();
    assert_eq!(client.get(&url).send().unwrap().status(), 401);
    let mut seen = serde_json::Value::Null;
    assert!(wait_until(WAIT, || {
        seen = client
            .get(format!("{url}?key=k-admin&limit=5"))
            .bearer_auth(admin)
            .send()
            .unwrap()
            .json()
            .unwrap();
        seen["counts"]["sent"] == 1
    }));
    assert_eq!(seen["counts"]["pending"], 0);
    assert_eq!(seen["recent"][0]["channel"], "town-wecom");
    assert_eq!(seen["recent"][0]["outcome"], "sent");
    assert_eq!(seen["recent"][0]["attempt"], 1);
    assert!(
        !seen.to_string().contains("告警"),
        "no message text: {seen}"
    );

    let _ = stop.send(());
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(30), server).await })
        .unwrap()
        .unwrap()
        .unwrap();
}
