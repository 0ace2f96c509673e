//! A task's UPID, `UPID:{node}:{pid}:{pstart}:{starttime}:{type}:{id}:{user}:`:
//! nine colon-separated fields with a trailing colon. The node in it is where
//! the task's status must be asked for.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A UPID that parsed: the node and type are known to be there.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upid(String);

/// The text is not a UPID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Proxmox UPID: {0}")]
pub struct InvalidUpid(String);

impl Upid {
    pub fn parse(text: &str) -> Result<Self, InvalidUpid> {
        let invalid = || InvalidUpid(text.chars().take(120).collect());
        let fields: Vec<&str> = text.split(':').collect();
        let well_formed = fields.len() == 9
            && fields[0] == "UPID"
            && fields[8].is_empty()
            && !fields[1].is_empty()
            && !fields[5].is_empty()
            && fields[2..5]
                .iter()
                .all(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
            && fields[7].contains('@');
        if well_formed {
            Ok(Upid(text.to_owned()))
        } else {
            Err(invalid())
        }
    }

    fn field(&self, index: usize) -> &str {
        self.0.split(':').nth(index).unwrap_or_default()
    }

    /// The node that runs the task.
    pub fn node(&self) -> &str {
        self.field(1)
    }

    /// `qmclone`, `qmstart`, `qmdestroy`, ...
    pub fn task_type(&self) -> &str {
        self.field(5)
    }

    /// What the task is about: a VMID (the source one for a clone).
    pub fn id(&self) -> &str {
        self.field(6)
    }

    /// `user@realm` or `user@realm!token`.
    pub fn user(&self) -> &str {
        self.field(7)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Upid {
    type Err = InvalidUpid;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Upid::parse(text)
    }
}

impl TryFrom<String> for Upid {
    type Error = InvalidUpid;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Upid::parse(&text)
    }
}

impl From<Upid> for String {
    fn from(upid: Upid) -> Self {
        upid.0
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upid({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CLONE: &str =
        "UPID:pve-jkt-1:000CB2A1:0386E4F3:6770A1B2:qmclone:9000:juragan@pve!provisioning:";

    #[test]
    fn a_real_upid_parses_and_names_its_node_type_and_id() {
        let upid = Upid::parse(CLONE).unwrap();
        assert_eq!(upid.node(), "pve-jkt-1");
        assert_eq!(upid.task_type(), "qmclone");
        assert_eq!(upid.id(), "9000");
        assert_eq!(upid.user(), "juragan@pve!provisioning");
        assert_eq!(upid.to_string(), CLONE);
        let json = serde_json::to_string(&upid).unwrap();
        assert_eq!(serde_json::from_str::<Upid>(&json).unwrap(), upid);
    }

    #[test]
    fn texts_without_nine_fields_and_a_trailing_colon_are_refused() {
        for text in [
            "",
            "UPID:pve:000CB2A1:0386E4F3:6770A1B2:qmclone:9000:root@pam",
            "UPID:pve:000CB2A1:0386E4F3:6770A1B2:qmclone:9000:root@pam:extra:",
            "TASK:pve:000CB2A1:0386E4F3:6770A1B2:qmclone:9000:root@pam:",
            "UPID:pve:zz:0386E4F3:6770A1B2:qmclone:9000:root@pam:",
        ] {
            assert!(Upid::parse(text).is_err(), "{text}");
        }
        assert!(serde_json::from_str::<Upid>("\"nope\"").is_err());
    }
}
