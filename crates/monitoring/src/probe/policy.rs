//! Which addresses the checker may connect to. A monitored host is a
//! customer's server on the internet; without these rules anyone who may add
//! a host could make the checker scan the shop's own machine (loopback), the
//! cloud metadata service (169.254.169.254) or the internal network, and read
//! the open ports off the host list.
//!
//! - never: loopback, link-local, unspecified, multicast/broadcast and the
//!   reserved 240.0.0.0/4 — except loopback under the test-only switch
//!   (`MONITOR_ALLOW_LOOPBACK_FOR_TESTS`, refused in production), which the
//!   tests, benchmarks and `make dev`'s demo hosts use;
//! - private ranges (RFC 1918, 100.64.0.0/10 CGNAT, fc00::/7 ULA): only when
//!   the shop allows them (`MONITOR_ALLOW_PRIVATE_ADDRESSES=true`) or the
//!   person saving the host may (owner and sysadmin, see the API);
//! - everything else: allowed.
//!
//! IP literals are checked when a host is saved; names are checked each time
//! the checker resolves them, so a name that later points at 127.0.0.1 is
//! not probed and the host's error says why.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, for the rules above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Private,
    Loopback,
    LinkLocal,
    Unspecified,
    Multicast,
    Reserved,
}

impl AddressClass {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                // ::ffff:127.0.0.1 reaches 127.0.0.1.
                Some(v4) => classify_v4(v4),
                None => classify_v6(v6),
            },
        }
    }

    fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Private => "a private-network address",
            AddressClass::Loopback => "a loopback address (this machine)",
            AddressClass::LinkLocal => "a link-local address (e.g. a cloud metadata service)",
            AddressClass::Unspecified => "the unspecified address",
            AddressClass::Multicast => "a multicast or broadcast address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if a == 0 {
        // 0.0.0.0/8: "this network"; connecting to it reaches this host.
        AddressClass::Unspecified
    } else if ip.is_multicast() || ip.is_broadcast() {
        AddressClass::Multicast
    } else if a >= 240 {
        AddressClass::Reserved
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else if first & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if first & 0xfe00 == 0xfc00 {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

/// An address the rules refuse, with why; shown to operators as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RefusedAddress {
    pub ip: IpAddr,
    pub class: AddressClass,
}

impl fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = if self.class == AddressClass::Private {
            "; only the owner or a sysadmin may monitor private networks"
        } else {
            ""
        };
        write!(
            f,
            "{} is {}, which is not monitored{hint}",
            self.ip,
            self.class.describe()
        )
    }
}

/// The shop's address rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// `MONITOR_ALLOW_PRIVATE_ADDRESSES`: private ranges for everyone.
    pub allow_private: bool,
    /// `MONITOR_ALLOW_LOOPBACK_FOR_TESTS`: 127.0.0.0/8 and ::1, for tests,
    /// benchmarks and the development demo only.
    pub allow_loopback: bool,
}

impl AddressPolicy {
    /// Loopback allowed, for tests and benchmarks.
    pub fn for_tests() -> Self {
        Self {
            allow_private: false,
            allow_loopback: true,
        }
    }

    /// Whether `ip` may be probed; `private_permitted` says that the caller
    /// may add private addresses even when the shop does not allow them.
    pub fn check(&self, ip: IpAddr, private_permitted: bool) -> Result<(), RefusedAddress> {
        let class = AddressClass::of(ip);
        let allowed = match class {
            AddressClass::Public => true,
            AddressClass::Private => self.allow_private || private_permitted,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::LinkLocal
            | AddressClass::Unspecified
            | AddressClass::Multicast
            | AddressClass::Reserved => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(RefusedAddress { ip, class })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        AddressClass::of(text.parse().expect("an IP"))
    }

    #[test]
    fn classifies_every_refused_range() {
        for (ip, expected) in [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("224.0.0.1", AddressClass::Multicast),
            ("255.255.255.255", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("240.0.0.1", AddressClass::Reserved),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("100.127.255.255", AddressClass::Private),
            ("fd12:3456::1", AddressClass::Private),
            ("fc00::1", AddressClass::Private),
            ("8.8.8.8", AddressClass::Public),
            ("172.32.0.1", AddressClass::Public),
            ("100.128.0.1", AddressClass::Public),
            ("2001:4860:4860::8888", AddressClass::Public),
            ("203.0.113.9", AddressClass::Public),
        ] {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn private_ranges_need_the_setting_or_the_permission() {
        let ip: IpAddr = "10.0.0.5".parse().expect("valid in this test");
        let strict = AddressPolicy::default();
        assert!(strict.check(ip, false).is_err());
        assert!(strict.check(ip, true).is_ok());
        let open = AddressPolicy {
            allow_private: true,
            allow_loopback: false,
        };
        assert!(open.check(ip, false).is_ok());
        // Neither opens loopback or the metadata service.
        for never in ["127.0.0.1", "169.254.169.254"] {
            assert!(
                open.check(never.parse().expect("valid in this test"), true)
                    .is_err(),
                "{never}"
            );
        }
    }

    #[test]
    fn the_test_switch_opens_loopback_only() {
        let tests = AddressPolicy::for_tests();
        assert!(
            tests
                .check("127.0.0.1".parse().expect("valid in this test"), false)
                .is_ok()
        );
        assert!(
            tests
                .check("::1".parse().expect("valid in this test"), false)
                .is_ok()
        );
        assert!(
            tests
                .check("10.0.0.1".parse().expect("valid in this test"), false)
                .is_err()
        );
        assert!(
            tests
                .check("169.254.169.254".parse().expect("valid in this test"), true)
                .is_err()
        );
        let message = AddressPolicy::default()
            .check("127.0.0.1".parse().expect("valid in this test"), false)
            .expect_err("refused")
            .to_string();
        assert!(message.contains("loopback"), "{message}");
    }
}
