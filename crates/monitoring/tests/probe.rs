//! The port-probe engine against real sockets on loopback: listeners that
//! accept, closed ports, listeners whose accept queue is full (SYNs dropped),
//! and name resolution. Every check has a short timeout, so every test is
//! bounded.

use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener as StdTcpListener,
    TcpStream as StdTcpStream,
};
use std::time::{Duration, Instant};

use monitoring::probe::{
    AddressPolicy, CONNECTION_ATTEMPT_DELAY, DownReason, Host, ProbeOutcome, ProbeResult,
    ProbeTarget, Prober, ProberConfig, Resolver,
};
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;

const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
/// Slack for scheduling on a busy CI machine when asserting how long a sweep took.
const SLACK: Duration = Duration::from_millis(250);

fn prober(timeout: Duration, concurrency: usize) -> Prober {
    Prober::new(ProberConfig {
        timeout,
        concurrency,
        addresses: AddressPolicy::for_tests(),
        ..ProberConfig::default()
    })
}

/// A prober whose resolver gives `name` these addresses, in this order.
fn prober_resolving(name: &str, addresses: &[IpAddr], policy: AddressPolicy) -> Prober {
    Prober::new(ProberConfig {
        timeout: SHORT_TIMEOUT * 3,
        concurrency: 8,
        addresses: policy,
        resolver: Resolver::fixed([(name.to_owned(), addresses.to_vec())]),
    })
}

fn named(name: &str, port: u16) -> ProbeTarget {
    ProbeTarget {
        id: 1,
        host: Host::parse(name).expect("a hostname"),
        port,
    }
}

fn target(id: i64, address: SocketAddr) -> ProbeTarget {
    ProbeTarget {
        id,
        host: Host::from(address.ip()),
        port: address.port(),
    }
}

async fn live_listener() -> TcpListener {
    // Never accepted: a completed handshake waiting in the backlog is what
    // the probe sees as "up".
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind a loopback listener")
}

/// An address nothing listens on: bind to learn a free port, then let it go.
fn closed_port() -> SocketAddr {
    let listener = StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("local address")
}

/// A listener that never answers: its accept queue (backlog 0 holds one
/// connection on Linux) is filled and never drained, so with
/// `tcp_abort_on_overflow = 0` the kernel drops further SYNs and connects hang.
struct BlackHole {
    address: SocketAddr,
    _listener: Socket,
    _filler: StdTcpStream,
}

fn black_hole() -> BlackHole {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    listener
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .expect("bind");
    listener.listen(0).expect("listen");
    let address = listener
        .local_addr()
        .expect("local address")
        .as_socket()
        .expect("an IP address");
    let filler = StdTcpStream::connect_timeout(&address, Duration::from_secs(1))
        .expect("fill the accept queue");
    BlackHole {
        address,
        _listener: listener,
        _filler: filler,
    }
}

fn only(results: Vec<ProbeResult>) -> ProbeResult {
    let [result] = <[ProbeResult; 1]>::try_from(results).expect("exactly one result");
    result
}

#[tokio::test]
async fn a_listening_port_is_up_with_its_latency() {
    let listener = live_listener().await;
    let address = listener.local_addr().expect("local address");
    let before = chrono::Utc::now();

    let result = only(
        prober(SHORT_TIMEOUT, 8)
            .sweep(vec![target(7, address)])
            .await,
    );

    assert_eq!(result.id, 7);
    let ProbeOutcome::Up { latency } = result.outcome else {
        panic!("expected up, got {:?}", result.outcome)
    };
    assert!(
        latency > Duration::ZERO && latency < SHORT_TIMEOUT,
        "latency {latency:?}"
    );
    assert!(result.checked_at >= before);
}

#[tokio::test]
async fn an_ipv6_literal_is_checked_too() {
    let listener = TcpListener::bind("[::1]:0").await.expect("bind ::1");
    let address = listener.local_addr().expect("local address");
    let host = Host::parse("::1").expect("IPv6 literal");

    let result = prober(SHORT_TIMEOUT, 8)
        .probe(ProbeTarget {
            id: 1,
            host,
            port: address.port(),
        })
        .await;

    assert!(result.outcome.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let result = only(
        prober(SHORT_TIMEOUT, 8)
            .sweep(vec![target(1, closed_port())])
            .await,
    );

    assert_eq!(
        result.outcome,
        ProbeOutcome::Down {
            reason: DownReason::Refused
        }
    );
}

#[tokio::test]
async fn a_black_holed_port_times_out_after_the_timeout_and_no_later() {
    let hole = black_hole();
    let started = Instant::now();

    let result = only(
        prober(SHORT_TIMEOUT, 8)
            .sweep(vec![target(1, hole.address)])
            .await,
    );

    let elapsed = started.elapsed();
    assert_eq!(
        result.outcome,
        ProbeOutcome::Down {
            reason: DownReason::Timeout
        }
    );
    assert!(
        elapsed >= SHORT_TIMEOUT && elapsed < SHORT_TIMEOUT + SLACK,
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn localhost_is_resolved_and_checked() {
    // Listen on whatever `localhost` resolves to first here (127.0.0.1 or
    // ::1), since that is the address the probe tries.
    let first = tokio::net::lookup_host(("localhost", 0))
        .await
        .expect("resolve localhost")
        .next()
        .expect("localhost has an address");
    let listener = TcpListener::bind((first.ip(), 0))
        .await
        .expect("bind the first localhost address");
    let port = listener.local_addr().expect("local address").port();
    let host = Host::parse("localhost").expect("localhost is a hostname");

    let result = only(
        prober(Duration::from_secs(2), 8)
            .sweep(vec![ProbeTarget { id: 3, host, port }])
            .await,
    );

    assert!(result.outcome.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn an_unresolvable_name_fails_dns_within_the_timeout() {
    // `.invalid` is reserved (RFC 6761): it never resolves.
    let host = Host::parse("no-such-host.invalid").expect("syntactically valid");
    let check_timeout = Duration::from_secs(2);
    let started = Instant::now();

    let result = only(
        prober(check_timeout, 8)
            .sweep(vec![ProbeTarget {
                id: 9,
                host,
                port: 22,
            }])
            .await,
    );

    assert_eq!(
        result.outcome,
        ProbeOutcome::Down {
            reason: DownReason::DnsFailed
        }
    );
    assert!(
        started.elapsed() < check_timeout + SLACK,
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_mixed_batch_returns_one_result_per_target() {
    let listener = live_listener().await;
    let hole = black_hole();
    let targets = vec![
        target(1, listener.local_addr().expect("local address")),
        target(2, closed_port()),
        target(3, hole.address),
        ProbeTarget {
            id: 4,
            host: Host::parse("no-such-host.invalid").expect("valid name"),
            port: 80,
        },
    ];

    let mut results = prober(SHORT_TIMEOUT, 8).sweep(targets).await;
    results.sort_by_key(|result| result.id);

    let outcomes: Vec<_> = results
        .iter()
        .map(|result| (result.id, &result.outcome))
        .collect();
    assert!(
        matches!(outcomes[0], (1, ProbeOutcome::Up { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes[1],
        (
            2,
            &ProbeOutcome::Down {
                reason: DownReason::Refused
            }
        )
    );
    assert_eq!(
        outcomes[2],
        (
            3,
            &ProbeOutcome::Down {
                reason: DownReason::Timeout
            }
        )
    );
    assert_eq!(
        outcomes[3],
        (
            4,
            &ProbeOutcome::Down {
                reason: DownReason::DnsFailed
            }
        )
    );
    assert_eq!(results.len(), 4);
}

#[tokio::test]
async fn concurrency_bounds_the_checks_in_flight() {
    // Four hanging targets through two slots: two rounds of the timeout.
    let holes: Vec<BlackHole> = (0..4).map(|_| black_hole()).collect();
    let targets = holes
        .iter()
        .zip(1..)
        .map(|(hole, id)| target(id, hole.address))
        .collect();
    let started = Instant::now();

    let results = prober(SHORT_TIMEOUT, 2).sweep(targets).await;

    let elapsed = started.elapsed();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|result| result.outcome
        == ProbeOutcome::Down {
            reason: DownReason::Timeout
        }));
    assert!(
        elapsed >= 2 * SHORT_TIMEOUT && elapsed < 2 * SHORT_TIMEOUT + SLACK,
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn enough_concurrency_overlaps_the_hanging_checks() {
    let holes: Vec<BlackHole> = (0..4).map(|_| black_hole()).collect();
    let targets = holes
        .iter()
        .zip(1..)
        .map(|(hole, id)| target(id, hole.address))
        .collect();
    let started = Instant::now();

    let results = prober(SHORT_TIMEOUT, 4).sweep(targets).await;

    assert_eq!(results.len(), 4);
    assert!(
        started.elapsed() < SHORT_TIMEOUT + SLACK,
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_empty_batch_returns_nothing() {
    assert!(Prober::default().sweep(Vec::new()).await.is_empty());
}

/// A name with several addresses (A and AAAA) is up when any of them
/// answers, whichever the resolver lists first.
#[tokio::test]
async fn a_name_with_several_addresses_is_up_when_any_answers() {
    let v6 = TcpListener::bind("[::1]:0").await.expect("bind ::1");
    let port = v6.local_addr().expect("local address").port();
    // Nothing listens on 127.0.0.1 at that port (checked: refused).
    let refused = prober(SHORT_TIMEOUT, 8)
        .sweep(vec![target(
            1,
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        )])
        .await;
    assert!(
        !only(refused).outcome.is_up(),
        "127.0.0.1:{port} must be closed for this test"
    );

    let loopbacks = [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    for order in [loopbacks, [loopbacks[1], loopbacks[0]]] {
        let result = prober_resolving("dual.test", &order, AddressPolicy::for_tests())
            .probe(named("dual.test", port))
            .await;
        assert!(result.outcome.is_up(), "{order:?}: {:?}", result.outcome);
    }
}

/// A first address that hangs costs one attempt delay, not the timeout.
#[tokio::test]
async fn a_hanging_first_address_does_not_hide_the_second() {
    let hole = black_hole();
    let v6 = TcpListener::bind(("::1", hole.address.port())).await;
    let Ok(_v6) = v6 else {
        // The same port number is taken on ::1; nothing to learn here.
        return;
    };
    let started = Instant::now();
    let result = prober_resolving(
        "slow-first.test",
        &[hole.address.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST)],
        AddressPolicy::for_tests(),
    )
    .probe(named("slow-first.test", hole.address.port()))
    .await;
    assert!(result.outcome.is_up(), "{:?}", result.outcome);
    assert!(
        started.elapsed() < CONNECTION_ATTEMPT_DELAY + SLACK,
        "took {:?}",
        started.elapsed()
    );
}

/// Down only when every address failed.
#[tokio::test]
async fn a_name_is_down_only_when_every_address_fails() {
    let port = closed_port().port();
    let result = prober_resolving(
        "dead.test",
        &[
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        ],
        AddressPolicy::for_tests(),
    )
    .probe(named("dead.test", port))
    .await;
    assert_eq!(
        result.outcome,
        ProbeOutcome::Down {
            reason: DownReason::Refused
        }
    );
}

/// A name is checked against the address rules each time it resolves: one
/// that points at this machine is not probed, and the check says why.
#[tokio::test]
async fn a_name_resolving_to_a_refused_address_is_not_probed() {
    let listener = live_listener().await;
    let port = listener.local_addr().expect("local address").port();
    let result = prober_resolving(
        "sneaky.example",
        &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
        AddressPolicy::default(),
    )
    .probe(named("sneaky.example", port))
    .await;
    let ProbeOutcome::Down {
        reason: DownReason::NotAllowed(why),
    } = result.outcome
    else {
        panic!("expected a refusal, got {:?}", result.outcome)
    };
    assert!(
        why.contains("sneaky.example") && why.contains("127.0.0.1") && why.contains("loopback"),
        "{why}"
    );
    // The metadata service is refused even with the private switch on.
    let metadata = prober_resolving(
        "meta.example",
        &["169.254.169.254".parse().expect("an IP")],
        AddressPolicy {
            allow_private: true,
            allow_loopback: true,
        },
    )
    .probe(named("meta.example", 80))
    .await;
    assert!(
        matches!(
            metadata.outcome,
            ProbeOutcome::Down {
                reason: DownReason::NotAllowed(_)
            }
        ),
        "{:?}",
        metadata.outcome
    );
    // A stored IP literal that nobody may probe is refused at check time too.
    let literal = Prober::new(ProberConfig::default())
        .probe(target(1, listener.local_addr().expect("local address")))
        .await;
    assert!(
        matches!(
            literal.outcome,
            ProbeOutcome::Down {
                reason: DownReason::NotAllowed(_)
            }
        ),
        "{:?}",
        literal.outcome
    );
}
