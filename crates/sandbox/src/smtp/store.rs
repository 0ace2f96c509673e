//! The in-memory mailbox of the sink: the last N mails, and a signal that
//! wakes waiters whenever one arrives.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::sync::watch;
use uuid::Uuid;

use super::message::ReceivedMail;
use crate::error::WaitTimeout;

/// Shared by the SMTP sessions that fill it, the handle tests read it through
/// and the web pages that show it.
#[derive(Clone)]
pub(crate) struct MailStore {
    shared: Arc<Shared>,
}

struct Shared {
    capacity: usize,
    mails: Mutex<VecDeque<Arc<ReceivedMail>>>,
    /// Counts arrivals; a watch channel never loses a wake-up between a
    /// waiter's check and its sleep, unlike polling with sleeps.
    arrivals: watch::Sender<u64>,
}

impl std::fmt::Debug for MailStore {
    /// Counts only: a handle's debug output should not dump every mail.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailStore")
            .field("stored", &self.lock().len())
            .field("capacity", &self.shared.capacity)
            .finish()
    }
}

impl MailStore {
    pub(crate) fn new(capacity: usize) -> Self {
        MailStore {
            shared: Arc::new(Shared {
                capacity: capacity.max(1),
                mails: Mutex::new(VecDeque::new()),
                arrivals: watch::Sender::new(0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<ReceivedMail>>> {
        // The critical sections only push, pop or clone Arcs, so a panic
        // elsewhere cannot leave the queue half-changed.
        self.shared
            .mails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, mail: ReceivedMail) -> Arc<ReceivedMail> {
        let mail = Arc::new(mail);
        {
            let mut mails = self.lock();
            while mails.len() >= self.shared.capacity {
                mails.pop_front();
            }
            mails.push_back(Arc::clone(&mail));
        }
        self.shared.arrivals.send_modify(|count| *count += 1);
        mail
    }

    /// Oldest first.
    pub(crate) fn all(&self) -> Vec<Arc<ReceivedMail>> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn get(&self, id: Uuid) -> Option<Arc<ReceivedMail>> {
        self.lock().iter().find(|mail| mail.id == id).cloned()
    }

    /// Removes every mail and says how many there were.
    pub(crate) fn clear(&self) -> usize {
        let mut mails = self.lock();
        let count = mails.len();
        mails.clear();
        count
    }

    fn newest_matching(
        &self,
        predicate: &mut impl FnMut(&ReceivedMail) -> bool,
    ) -> Option<Arc<ReceivedMail>> {
        self.lock()
            .iter()
            .rev()
            .find(|mail| predicate(mail))
            .cloned()
    }

    /// The newest stored mail matching `predicate`, waiting up to `timeout`
    /// for one to arrive if none is stored yet.
    pub(crate) async fn wait_for(
        &self,
        mut predicate: impl FnMut(&ReceivedMail) -> bool,
        timeout: Duration,
    ) -> Result<Arc<ReceivedMail>, WaitTimeout> {
        // Subscribe before looking, so a mail stored between the look and
        // the wait still wakes us.
        let mut arrivals = self.shared.arrivals.subscribe();
        let search = async {
            loop {
                arrivals.borrow_and_update();
                if let Some(mail) = self.newest_matching(&mut predicate) {
                    return Some(mail);
                }
                if arrivals.changed().await.is_err() {
                    // Unreachable while `self` holds the sender; stop rather
                    // than spin if that ever changes.
                    return None;
                }
            }
        };
        match tokio::time::timeout(timeout, search).await {
            Ok(Some(mail)) => Ok(mail),
            Ok(None) | Err(_) => Err(WaitTimeout {
                waited: timeout,
                received: self.all().iter().map(|mail| summary(mail)).collect(),
            }),
        }
    }
}

fn summary(mail: &ReceivedMail) -> String {
    format!(
        "to {} subject {:?}",
        mail.envelope_to.join(", "),
        mail.subject.as_deref().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::message::Envelope;

    fn mail_to(rcpt: &str) -> ReceivedMail {
        let envelope = Envelope {
            to: vec![rcpt.to_owned()],
            ..Envelope::default()
        };
        ReceivedMail::parse(envelope, b"Subject: hi\r\n\r\nbody\r\n".to_vec())
    }

    #[test]
    fn keeps_only_the_newest_mails_up_to_capacity() {
        let store = MailStore::new(2);

        for rcpt in ["a@x.test", "b@x.test", "c@x.test"] {
            store.push(mail_to(rcpt));
        }

        let kept: Vec<_> = store
            .all()
            .iter()
            .map(|mail| mail.envelope_to[0].clone())
            .collect();
        assert_eq!(kept, ["b@x.test", "c@x.test"]);
    }

    #[tokio::test]
    async fn wait_returns_a_mail_that_is_already_stored() {
        let store = MailStore::new(10);
        store.push(mail_to("a@x.test"));

        let mail = store
            .wait_for(
                |mail| mail.is_addressed_to("a@x.test"),
                Duration::from_secs(1),
            )
            .await;

        assert!(mail.is_ok());
    }

    #[tokio::test]
    async fn wait_wakes_when_a_matching_mail_arrives() {
        let store = MailStore::new(10);
        let waiter = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .wait_for(
                        |mail| mail.is_addressed_to("b@x.test"),
                        Duration::from_secs(5),
                    )
                    .await
            })
        };

        store.push(mail_to("a@x.test"));
        store.push(mail_to("b@x.test"));

        let mail = waiter
            .await
            .expect("waiter task panicked")
            .expect("the mail to b@x.test should wake the waiter");
        assert_eq!(mail.envelope_to, ["b@x.test"]);
    }

    #[tokio::test]
    async fn wait_gives_up_after_the_timeout_and_lists_what_arrived() {
        let store = MailStore::new(10);
        store.push(mail_to("a@x.test"));

        let error = store
            .wait_for(
                |mail| mail.is_addressed_to("z@x.test"),
                Duration::from_millis(50),
            )
            .await
            .expect_err("nothing was sent to z@x.test");

        assert_eq!(error.received, [r#"to a@x.test subject "hi""#]);
    }
}
