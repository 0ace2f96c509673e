//! The client's IP address behind reverse proxies. Rate limits, lockouts,
//! sessions and the audit log key on it, so a client must not be able to
//! choose it: forwarding headers count only when the TCP peer is one of the
//! configured trusted proxies (`HTTP_TRUSTED_PROXIES`), and then the client is
//! the right-most address in `X-Forwarded-For` that is not itself a trusted
//! proxy — everything left of that was written by the client and may be a lie.
//! `Forwarded` (RFC 7239) is read instead only when the deployment says its
//! proxy writes it (`HTTP_TRUST_FORWARDED_HEADER=true`); otherwise a client
//! could add one that no proxy strips.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::HeaderMap;

/// One `address/prefix` network (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpCidr {
    network: IpAddr,
    prefix: u8,
}

impl IpCidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpCidr {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match value.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (value, None),
        };
        let network = canonical(
            address
                .trim()
                .parse::<IpAddr>()
                .map_err(|_| format!("`{value}` is not an IP address or CIDR network"))?,
        );
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max)
                .ok_or_else(|| format!("`{value}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { network, prefix })
    }
}

/// Parses a comma-separated CIDR list (`HTTP_TRUSTED_PROXIES`).
pub fn parse_cidr_list(raw: &str) -> Result<Vec<IpCidr>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(IpCidr::from_str)
        .collect()
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket reports)
/// compares as the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// How this deployment's proxies report the client.
#[derive(Debug, Clone, Default)]
pub struct ProxyTrust {
    pub trusted: Vec<IpCidr>,
    /// Read `Forwarded` instead of `X-Forwarded-For`.
    pub forwarded_header: bool,
}

impl ProxyTrust {
    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|network| network.contains(address))
    }

    /// The client address for a request whose TCP peer is `peer`.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let hops = if self.forwarded_header {
            forwarded_for(headers)
        } else {
            x_forwarded_for(headers)
        };
        // Right to left: each trusted proxy appended the address it saw.
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(hop) = hop else {
                // Garbage where an address should be: nothing left of it
                // can be believed, so the last trusted hop's view stands.
                break;
            };
            client = canonical(hop);
            if !self.is_trusted(client) {
                break;
            }
        }
        Some(client)
    }
}

/// Every `X-Forwarded-For` entry, in order, over all such header lines.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(|entry| parse_node(entry.trim()))
        .collect()
}

/// The `for=` parameters of every `Forwarded` element, in order.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .flat_map(|value| value.to_str().unwrap_or("for=?").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80`
/// or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_str(name).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(value: &str) -> IpAddr {
        value.parse().unwrap()
    }

    fn trust(list: &str) -> ProxyTrust {
        ProxyTrust {
            trusted: parse_cidr_list(list).unwrap(),
            forwarded_header: false,
        }
    }

    #[test]
    fn cidr_lists_parse_and_match() {
        let list = parse_cidr_list(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8").unwrap();
        assert!(list[0].contains(ip("10.200.3.4")));
        assert!(!list[0].contains(ip("11.0.0.1")));
        assert!(list[1].contains(ip("192.168.1.7")));
        assert!(!list[1].contains(ip("192.168.1.8")));
        assert!(list[2].contains(ip("fd12::1")));
        assert!(list[0].contains(ip("::ffff:10.1.1.1")), "mapped IPv4");
        assert!(parse_cidr_list("10.0.0.0/33").is_err());
        assert!(parse_cidr_list("proxy.local").is_err());
        assert!(parse_cidr_list("").unwrap().is_empty());
        assert!(
            IpCidr::from_str("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            trust("").client_ip(Some(ip("203.0.113.9")), &spoofed),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            trust("10.0.0.0/8").client_ip(Some(ip("203.0.113.9")), &spoofed),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trust = trust("10.0.0.0/8");
        // The client prepended a lie; the proxies appended what they saw.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            trust.client_ip(Some(ip("10.0.0.2")), &chain),
            Some(ip("198.51.100.7"))
        );
        let split = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7:4711"),
        ]);
        assert_eq!(
            trust.client_ip(Some(ip("10.0.0.2")), &split),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            trust.client_ip(Some(ip("10.0.0.2")), &headers(&[])),
            Some(ip("10.0.0.2")),
            "no header: the proxy itself"
        );
        let garbage = headers(&[("x-forwarded-for", "6.6.6.6, not-an-ip, 10.0.0.3")]);
        assert_eq!(
            trust.client_ip(Some(ip("10.0.0.2")), &garbage),
            Some(ip("10.0.0.3"))
        );
    }

    #[test]
    fn forwarded_counts_only_when_configured() {
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8::5]:443\";proto=https",
            ),
        ]);
        let xff = trust("127.0.0.1/32");
        assert_eq!(
            xff.client_ip(Some(ip("127.0.0.1")), &both),
            Some(ip("198.51.100.7"))
        );
        let forwarded = ProxyTrust {
            forwarded_header: true,
            ..xff
        };
        assert_eq!(
            forwarded.client_ip(Some(ip("127.0.0.1")), &both),
            Some(ip("2001:db8::5"))
        );
    }
}
