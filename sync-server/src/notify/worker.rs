//! The delivery worker: claims due rows, sends them with bounded concurrency, records each
//! attempt. One per server instance; any number may share a database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tracing::Instrument;

use super::channels::{Channels, Failed, LiveChannels};
use super::outbox::{Claimed, Finish, Outbox};
use super::{Clock, NotifyError};

/// Delivers until `shutdown` completes, then waits (at most one send timeout) for the sends in
/// flight so that their results are recorded. Sleeps between polls for `poll_interval` unless
/// an enqueue or a finished send wakes it; time for due dates and leases comes from `clock`.
/// Each claim and send takes the channels in force at that moment (`channels` is swapped when
/// an administrator changes them).
pub async fn run(
    outbox: Arc<Outbox>,
    channels: Arc<LiveChannels>,
    clock: Arc<dyn Clock>,
    poll_interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut in_flight: JoinSet<()> = JoinSet::new();
    tracing::info!(owner = outbox.owner(), "notification worker started");
    loop {
        let limit = channels.current().max_in_flight().max(1);
        let free = limit.saturating_sub(in_flight.len());
        if free > 0 {
            let claiming = outbox.clone();
            let now_ms = clock.now_ms();
            match blocking(move || claiming.claim(now_ms, free)).await {
                Ok(claimed) => {
                    for delivery in claimed {
                        in_flight.spawn(deliver(
                            outbox.clone(),
                            channels.current(),
                            clock.clone(),
                            delivery,
                        ));
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot claim notifications"),
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = outbox.woken() => {}
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            () = tokio::time::sleep(poll_interval) => {}
        }
    }
    let grace = channels.current().timeout() + Duration::from_secs(5);
    let drained = tokio::time::timeout(grace, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = in_flight.len(),
            "notification worker stopped with sends in flight; their leases will expire"
        );
    }
    tracing::info!(owner = outbox.owner(), "notification worker stopped");
}

/// One attempt: send, then record the result right away (the shorter the time between the
/// receiver's answer and this record, the smaller the window for a repeat after a crash).
async fn deliver(
    outbox: Arc<Outbox>,
    channels: Arc<Channels>,
    clock: Arc<dyn Clock>,
    delivery: Claimed,
) {
    // Ids and channel names only: the payload holds the message.
    let span = tracing::info_span!(
        "notification",
        key = %delivery.key,
        channel = %delivery.channel,
        attempt = delivery.attempt
    );
    async move {
        let result = if outbox.exhausted(&delivery) {
            Err(Failed {
                http_status: None,
                error: "the worker of the last attempt stopped before recording its result"
                    .into(),
            })
        } else {
            channels.send(&delivery).await
        };
        let now_ms = clock.now_ms();
        let recording = outbox.clone();
        let finished = blocking(move || recording.finish(&delivery, result, now_ms)).await;
        match finished {
            Ok(Finish::Sent { http_status, .. }) => {
                tracing::info!(http_status, "notification sent");
            }
            Ok(Finish::Retry {
                next_attempt_at_ms,
                http_status,
                error,
                ..
            }) => {
                tracing::warn!(
                    http_status,
                    %error,
                    retry_in_ms = next_attempt_at_ms - now_ms,
                    "notification failed; will retry"
                );
            }
            Ok(Finish::Dead {
                http_status, error, ..
            }) => {
                tracing::error!(http_status, %error, "notification failed on its last attempt; given up");
            }
            // The row stays leased; it becomes due again when the lease expires.
            Err(e) => tracing::error!(error = %e, "cannot record a notification attempt"),
        }
    }
    .instrument(span)
    .await;
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, NotifyError> + Send + 'static,
) -> Result<T, NotifyError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(NotifyError::Storage(format!("outbox task failed: {e}"))))
}
