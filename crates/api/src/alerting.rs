//! Logged errors become owner alerts: a tracing layer copies every event at
//! or above `OWNER_ALERT_LEVEL` into a bounded channel, and a task of the
//! serving process records each through [`notify::alert::raise`], which
//! sends it or folds it into a storm's summary.
//!
//! The layer never blocks and never allocates unboundedly: when the channel
//! is full (the database is down, an error storm) further events are
//! counted and dropped; the count goes out with the next alert that gets
//! through. Events of [`notify::alert::TARGET`] are skipped, so a failing
//! alert cannot raise another.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use notify::alert::{self, AlertKind, NewAlert};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

use crate::config::AlertLevel;

const QUEUE: usize = 256;

static DROPPED: AtomicU64 = AtomicU64::new(0);
/// The receiving end, taken by the first application this process builds.
static RECEIVER: Mutex<Option<mpsc::Receiver<NewAlert>>> = Mutex::new(None);

pub struct AlertLayer {
    max_verbosity: Level,
    sender: mpsc::Sender<NewAlert>,
}

/// The layer for `level` and the receiver its alerts arrive on; none when
/// alerts are off.
pub fn layer(level: AlertLevel) -> Option<(AlertLayer, mpsc::Receiver<NewAlert>)> {
    let max_verbosity = match level {
        AlertLevel::Error => Level::ERROR,
        AlertLevel::Warn => Level::WARN,
        AlertLevel::Off => return None,
    };
    let (sender, receiver) = mpsc::channel(QUEUE);
    Some((
        AlertLayer {
            max_verbosity,
            sender,
        },
        receiver,
    ))
}

/// Keeps the receiver for [`spawn_forwarder`] (the layer is installed
/// before the database is connected).
pub fn park_receiver(receiver: mpsc::Receiver<NewAlert>) {
    if let Ok(mut slot) = RECEIVER.lock() {
        *slot = Some(receiver);
    }
}

/// Starts recording the parked alerts, if this process installed the layer
/// and no application took them yet.
pub fn spawn_forwarder(pool: PgPool) {
    let receiver = RECEIVER.lock().ok().and_then(|mut slot| slot.take());
    if let Some(receiver) = receiver {
        tokio::spawn(forward(pool, receiver));
    }
}

async fn forward(pool: PgPool, mut receiver: mpsc::Receiver<NewAlert>) {
    while let Some(mut alert) = receiver.recv().await {
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = write!(
                alert.detail,
                "\n({dropped} more log events were dropped while alerts backed up)"
            );
        }
        let raised = async {
            let mut tx = pool.begin().await?;
            alert::raise(&mut tx, &alert).await?;
            tx.commit().await?;
            Ok::<_, notify::NotifyError>(())
        };
        if let Err(error) = raised.await {
            tracing::warn!(target: "notify::alert", %error, title = %alert.title, "could not record an owner alert");
        }
    }
}

impl<S: Subscriber> Layer<S> for AlertLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let metadata = event.metadata();
        // Levels compare by verbosity: ERROR is the least verbose.
        if *metadata.level() > self.max_verbosity || metadata.target().starts_with(alert::TARGET) {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let alert = NewAlert {
            kind: AlertKind::Error,
            source: metadata.target().to_owned(),
            title: fields.message,
            detail: fields.rest,
        };
        if self.sender.try_send(alert).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The event's message, and its other fields as `key=value` lines.
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = writeln!(self.rest, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = writeln!(self.rest, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    fn capture(level: AlertLevel, emit: impl FnOnce()) -> Vec<NewAlert> {
        let (layer, mut receiver) = layer(level).expect("alerts on");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, emit);
        let mut alerts = Vec::new();
        while let Ok(alert) = receiver.try_recv() {
            alerts.push(alert);
        }
        alerts
    }

    #[test]
    fn errors_become_alerts_with_their_fields() {
        let alerts = capture(AlertLevel::Error, || {
            tracing::error!(target: "billing::invoice", invoice = 42, reason = "gateway down", "could not charge");
            tracing::warn!("only a warning");
            tracing::info!("routine");
        });
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "could not charge");
        assert_eq!(alerts[0].source, "billing::invoice");
        assert!(
            alerts[0].detail.contains("invoice=42"),
            "{}",
            alerts[0].detail
        );
        assert!(
            alerts[0].detail.contains("reason=gateway down"),
            "{}",
            alerts[0].detail
        );
    }

    #[test]
    fn warn_level_takes_warnings_too() {
        let alerts = capture(AlertLevel::Warn, || {
            tracing::error!("broken");
            tracing::warn!("degraded");
            tracing::info!("routine");
        });
        let titles: Vec<_> = alerts.iter().map(|alert| alert.title.as_str()).collect();
        assert_eq!(titles, ["broken", "degraded"]);
    }

    #[test]
    fn failures_of_alerting_itself_never_alert() {
        let alerts = capture(AlertLevel::Warn, || {
            tracing::error!(target: "notify::alert", "could not record an owner alert");
        });
        assert!(alerts.is_empty());
    }

    #[test]
    fn a_full_queue_drops_instead_of_blocking() {
        DROPPED.store(0, Ordering::Relaxed);
        let alerts = capture(AlertLevel::Error, || {
            for n in 0..QUEUE + 10 {
                tracing::error!(n, "storm");
            }
        });
        assert_eq!(alerts.len(), QUEUE);
        assert_eq!(DROPPED.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn off_installs_nothing() {
        assert!(layer(AlertLevel::Off).is_none());
    }
}
