//! The Proxmox client against the sandbox's faithful PVE fake: every call,
//! both ways of logging in, the task rules bpg relies on, injected
//! failures, the four ways a connection fails, and fingerprint pinning.

#![allow(clippy::unwrap_used)]

use std::{net::Ipv4Addr, time::Duration};

use provisioning::proxmox::{
    CloneRequest, IpConfig, PowerAction, ProxmoxAuth, ProxmoxClient, ProxmoxConfig, ProxmoxError,
    TaskStatus, TlsTrust, Upid, VmConfig, decode_ssh_keys,
};
use sandbox::proxmox::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, ProxmoxFailure, ProxmoxFake, ProxmoxFakeConfig,
    ProxmoxFakeHandle, ProxmoxOp,
};

const POLL: Duration = Duration::from_millis(20);
const DEADLINE: Duration = Duration::from_secs(10);
const NODE: &str = "pve-jkt-1";

async fn fake_with(task_duration: Duration) -> ProxmoxFakeHandle {
    ProxmoxFake::start(
        "127.0.0.1:0".parse().unwrap(),
        ProxmoxFakeConfig {
            task_duration,
            task_unknown_window: Duration::from_millis(100).min(task_duration),
            ..ProxmoxFakeConfig::default()
        },
    )
    .await
    .unwrap()
}

fn token_client(fake: &ProxmoxFakeHandle) -> ProxmoxClient {
    let config = fake.config();
    client(
        fake.base_url(),
        ProxmoxAuth::Token {
            token_id: config.token_id.clone(),
            secret: config.token_secret.clone(),
        },
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    )
}

fn password_client(fake: &ProxmoxFakeHandle) -> ProxmoxClient {
    client(
        fake.base_url(),
        ProxmoxAuth::Password {
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
        },
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    )
}

fn client(base_url: String, auth: ProxmoxAuth, tls: TlsTrust, timeout: Duration) -> ProxmoxClient {
    ProxmoxClient::new(ProxmoxConfig {
        base_url,
        auth,
        tls,
        timeout,
    })
    .unwrap()
}

fn clone_request(newid: u32, name: &str) -> CloneRequest {
    CloneRequest {
        newid,
        name: name.into(),
        full: true,
        target: None,
        storage: None,
        description: Some("order INV-1".into()),
    }
}

/// Clones 9000 on the node and waits for it.
async fn cloned(client: &ProxmoxClient, name: &str) -> u32 {
    let vmid = client.next_id().await.unwrap();
    let upid = client
        .clone_vm(NODE, 9000, &clone_request(vmid, name))
        .await
        .unwrap();
    client.wait_task(&upid, POLL, DEADLINE).await.unwrap();
    vmid
}

#[tokio::test]
async fn version_nodes_and_templates_read_with_a_token() {
    let fake = fake_with(Duration::ZERO).await;
    let client = token_client(&fake);

    let version = client.version().await.unwrap();
    assert_eq!(version.version, "8.2.4");
    assert_eq!(version.release, "8.2");

    let nodes = client.nodes().await.unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["pve-jkt-1", "pve-jkt-2", "pve-sg-1"]);
    assert!(
        nodes
            .iter()
            .all(|n| n.online && n.maxmem > n.mem && n.maxdisk > 0 && n.maxcpu > 0)
    );

    for node in &names {
        let templates: Vec<u32> = client
            .vms(node)
            .await
            .unwrap()
            .into_iter()
            .filter(|vm| vm.template)
            .map(|vm| vm.vmid)
            .collect();
        assert_eq!(templates, [9000, 9001, 9002, 9003, 9004]);
    }
}

#[tokio::test]
async fn a_clone_is_locked_until_its_task_ends_then_configured_resized_started_and_destroyed() {
    let fake = fake_with(Duration::from_millis(300)).await;
    let client = token_client(&fake);
    let before = client.nodes().await.unwrap()[0].mem;

    let vmid = client.next_id().await.unwrap();
    assert_eq!(vmid, 100);
    assert!(client.is_id_free(vmid).await.unwrap());
    let upid = client
        .clone_vm(NODE, 9000, &clone_request(vmid, "vps-budi"))
        .await
        .unwrap();
    assert_eq!(upid.node(), NODE);
    assert_eq!(upid.task_type(), "qmclone");
    assert_eq!(upid.id(), "9000");
    assert!(!client.is_id_free(vmid).await.unwrap());
    assert_eq!(client.next_id().await.unwrap(), 101);

    // Locked while cloning: a config change waits for the lock in vain.
    let status = client.vm_status(NODE, vmid).await.unwrap().unwrap();
    assert_eq!(status.lock.as_deref(), Some("clone"));
    let locked = client
        .set_config(
            NODE,
            vmid,
            &VmConfig {
                cores: Some(2),
                ..VmConfig::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(locked, ProxmoxError::Locked(_)), "{locked:?}");
    assert!(locked.is_transient());

    client.wait_task(&upid, POLL, DEADLINE).await.unwrap();
    assert_eq!(
        client.vm_status(NODE, vmid).await.unwrap().unwrap().lock,
        None
    );
    assert!(
        client.nodes().await.unwrap()[0].mem > before,
        "the node's memory grows with its VMs"
    );

    let keys =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI+k/x= budi@laptop\nssh-rsa AAAAB3Nza ops@juragan";
    let config = VmConfig {
        cores: Some(4),
        memory_mb: Some(4096),
        ciuser: Some("budi".into()),
        cipassword: Some("rahasia-123".into()),
        ssh_keys: Some(keys.into()),
        ip: Some(IpConfig {
            address: Ipv4Addr::new(103, 10, 20, 30),
            prefix_len: 24,
            gateway: Ipv4Addr::new(103, 10, 20, 1),
        }),
        nameservers: vec!["1.1.1.1".parse().unwrap(), "8.8.8.8".parse().unwrap()],
        name: Some("vps-budi".into()),
        description: Some("Budi's VPS".into()),
    };
    let task = client.set_config(NODE, vmid, &config).await.unwrap();
    if let Some(task) = task {
        client.wait_task(&task, POLL, DEADLINE).await.unwrap();
    }
    let read = client.vm_config(NODE, vmid).await.unwrap();
    assert_eq!(read["cores"], 4);
    assert_eq!(read["memory"], "4096");
    assert_eq!(read["ipconfig0"], "ip=103.10.20.30/24,gw=103.10.20.1");
    assert_eq!(read["nameserver"], "1.1.1.1 8.8.8.8");
    assert_eq!(
        read["cipassword"], "**********",
        "PVE never shows the password"
    );
    assert_eq!(
        decode_ssh_keys(read["sshkeys"].as_str().unwrap()),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI+k/x= budi@laptop\nssh-rsa AAAAB3Nza ops@juragan\n"
    );
    assert_eq!(
        fake.vm(vmid).unwrap().cipassword.as_deref(),
        Some("rahasia-123")
    );

    let resize = client
        .resize_disk(NODE, vmid, "scsi0", 40)
        .await
        .unwrap()
        .unwrap();
    client.wait_task(&resize, POLL, DEADLINE).await.unwrap();
    assert!(
        client.vm_config(NODE, vmid).await.unwrap()["scsi0"]
            .as_str()
            .unwrap()
            .ends_with("size=40G")
    );
    assert_eq!(
        client.resize_disk(NODE, vmid, "scsi0", 40).await.unwrap(),
        None,
        "same size: done"
    );
    let shrink = client
        .resize_disk(NODE, vmid, "scsi0", 20)
        .await
        .unwrap_err();
    assert!(
        matches!(shrink, ProxmoxError::Parameter { .. }),
        "{shrink:?}"
    );

    let start = client
        .power(NODE, vmid, PowerAction::Start)
        .await
        .unwrap()
        .unwrap();
    client.wait_task(&start, POLL, DEADLINE).await.unwrap();
    let status = client.vm_status(NODE, vmid).await.unwrap().unwrap();
    assert!(status.running);
    assert_eq!(status.name.as_deref(), Some("vps-budi"));
    assert_eq!(
        client.power(NODE, vmid, PowerAction::Start).await.unwrap(),
        None,
        "already running"
    );

    let running = client.delete_vm(NODE, vmid).await.unwrap_err();
    assert!(
        matches!(running, ProxmoxError::Server { status: 500, .. }),
        "{running:?}"
    );

    for action in [
        PowerAction::Suspend,
        PowerAction::Resume,
        PowerAction::Reboot,
        PowerAction::Stop,
    ] {
        let task = client.power(NODE, vmid, action).await.unwrap().unwrap();
        client.wait_task(&task, POLL, DEADLINE).await.unwrap();
    }
    assert!(!client.vm_status(NODE, vmid).await.unwrap().unwrap().running);
    assert_eq!(
        client
            .power(NODE, vmid, PowerAction::Shutdown)
            .await
            .unwrap(),
        None
    );

    let destroy = client.delete_vm(NODE, vmid).await.unwrap().unwrap();
    client.wait_task(&destroy, POLL, DEADLINE).await.unwrap();
    assert_eq!(client.vm_status(NODE, vmid).await.unwrap(), None);
    assert_eq!(
        client.delete_vm(NODE, vmid).await.unwrap(),
        None,
        "a missing VM is gone already"
    );
}

#[tokio::test]
async fn a_second_clone_to_the_same_id_is_already_exists() {
    let fake = fake_with(Duration::ZERO).await;
    let client = token_client(&fake);
    let vmid = cloned(&client, "vps-a").await;
    let error = client
        .clone_vm("pve-jkt-2", 9000, &clone_request(vmid, "vps-b"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProxmoxError::AlreadyExists(_)), "{error:?}");
    let missing = client
        .clone_vm(NODE, 4242, &clone_request(vmid + 1, "vps-c"))
        .await
        .unwrap_err();
    assert!(matches!(missing, ProxmoxError::NotFound(_)), "{missing:?}");
}

#[tokio::test]
async fn the_rate_rewrite_keeps_the_mac_and_bridge() {
    let fake = fake_with(Duration::ZERO).await;
    let client = token_client(&fake);
    let vmid = cloned(&client, "vps-rate").await;
    let before = client.vm_config(NODE, vmid).await.unwrap()["net0"]
        .as_str()
        .unwrap()
        .to_owned();
    let mac = before.split(',').next().unwrap().to_owned();

    client
        .set_network_rate(NODE, vmid, Some(100))
        .await
        .unwrap();
    let after = client.vm_config(NODE, vmid).await.unwrap()["net0"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(after.starts_with(&mac), "{after}");
    assert!(after.contains("bridge=vmbr0"));
    assert!(
        after.contains("rate=12.5"),
        "100 Mbit/s is 12.5 MB/s: {after}"
    );

    client.set_network_rate(NODE, vmid, None).await.unwrap();
    let unlimited = client.vm_config(NODE, vmid).await.unwrap()["net0"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!unlimited.contains("rate="));
    assert!(unlimited.starts_with(&mac));
}

#[tokio::test]
async fn wait_task_polls_through_the_400_window_and_reports_a_failed_task() {
    let fake = fake_with(Duration::from_millis(400)).await;
    let client = token_client(&fake);
    let vmid = client.next_id().await.unwrap();
    let upid = client
        .clone_vm(NODE, 9000, &clone_request(vmid, "vps-window"))
        .await
        .unwrap();
    let early = client.task_status(&upid).await.unwrap_err();
    assert!(
        matches!(early, ProxmoxError::Parameter { .. }),
        "right after dispatch: {early:?}"
    );
    client.wait_task(&upid, POLL, DEADLINE).await.unwrap();
    assert_eq!(
        client.task_status(&upid).await.unwrap(),
        TaskStatus::Stopped {
            exitstatus: "OK".into()
        }
    );

    fake.fail_next(
        ProxmoxOp::Clone,
        ProxmoxFailure::TaskFails("clone failed: out of space".into()),
    );
    let failing = client
        .clone_vm(NODE, 9000, &clone_request(vmid + 1, "vps-fails"))
        .await
        .unwrap();
    let error = client
        .wait_task(&failing, POLL, DEADLINE)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ProxmoxError::TaskFailed {
            upid: failing.to_string(),
            exitstatus: "clone failed: out of space".into()
        }
    );
    assert_eq!(
        client.vm_status(NODE, vmid + 1).await.unwrap(),
        None,
        "a failed clone leaves no VM"
    );

    let timeout = client
        .wait_task(
            &client
                .power(NODE, vmid, PowerAction::Start)
                .await
                .unwrap()
                .unwrap(),
            POLL,
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
    assert_eq!(timeout, ProxmoxError::Timeout);
}

#[tokio::test]
async fn a_late_answer_times_out_but_the_vm_exists_and_is_found_by_name() {
    let fake = fake_with(Duration::ZERO).await;
    let config = fake.config();
    let impatient = client(
        fake.base_url(),
        ProxmoxAuth::Token {
            token_id: config.token_id.clone(),
            secret: config.token_secret.clone(),
        },
        TlsTrust::PublicRoots,
        Duration::from_millis(300),
    );
    let client = impatient;
    fake.fail_next(
        ProxmoxOp::Clone,
        ProxmoxFailure::AnswerAfter(Duration::from_secs(2)),
    );
    let error = client
        .clone_vm("pve-jkt-2", 9001, &clone_request(150, "vps-adopt"))
        .await
        .unwrap_err();
    assert_eq!(error, ProxmoxError::Timeout);
    assert!(error.is_transient());

    let (node, vm) = client.find_vm_by_name("vps-adopt").await.unwrap().unwrap();
    assert_eq!((node.as_str(), vm.vmid), ("pve-jkt-2", 150));
    assert_eq!(client.find_vm_by_name("vps-nobody").await.unwrap(), None);
}

#[tokio::test]
async fn injected_http_errors_and_dropped_connections_are_sorted() {
    let fake = fake_with(Duration::ZERO).await;
    let client = token_client(&fake);
    fake.fail_next(
        ProxmoxOp::NextId,
        ProxmoxFailure::Http {
            status: 503,
            message: "Service Unavailable".into(),
        },
    );
    let error = client.next_id().await.unwrap_err();
    assert!(
        matches!(error, ProxmoxError::Server { status: 503, .. }) && error.is_transient(),
        "{error:?}"
    );

    fake.fail_next(ProxmoxOp::Config, ProxmoxFailure::lock_timeout(100));
    let error = client.vm_config(NODE, 9000).await.unwrap_err();
    assert!(matches!(error, ProxmoxError::Locked(_)), "{error:?}");

    fake.fail_next(ProxmoxOp::Nodes, ProxmoxFailure::Drop);
    let error = client.nodes().await.unwrap_err();
    assert!(
        matches!(error, ProxmoxError::ConnectionLost(_)),
        "{error:?}"
    );
    assert_eq!(error.kind(), "connection_lost");

    fake.set_permission_denied(true);
    let error = client.nodes().await.unwrap_err();
    assert!(
        matches!(error, ProxmoxError::Forbidden(ref m) if m.contains("Permission check failed")),
        "{error:?}"
    );
}

#[tokio::test]
async fn password_login_uses_a_ticket_with_csrf_and_renews_it_after_a_401() {
    let fake = fake_with(Duration::ZERO).await;
    let logged_in = password_client(&fake);
    let vmid = cloned(&logged_in, "vps-ticket").await;
    assert_eq!(
        fake.calls(ProxmoxOp::Ticket),
        1,
        "one login serves many calls"
    );
    let upid: Upid = fake.tasks().last().unwrap().upid.parse().unwrap();
    assert_eq!(upid.user(), "root@pam");

    fake.invalidate_tickets();
    let task = logged_in
        .power(NODE, vmid, PowerAction::Start)
        .await
        .unwrap()
        .unwrap();
    logged_in.wait_task(&task, POLL, DEADLINE).await.unwrap();
    assert_eq!(
        fake.calls(ProxmoxOp::Ticket),
        2,
        "the 401 made it log in again"
    );

    let wrong = client_with_password(&fake, "salah");
    assert_eq!(
        wrong.version().await.unwrap_err(),
        ProxmoxError::Unauthorized
    );
    let wrong_token = client(
        fake.base_url(),
        ProxmoxAuth::Token {
            token_id: fake.config().token_id.clone(),
            secret: "nope".into(),
        },
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    );
    let error = wrong_token.version().await.unwrap_err();
    assert_eq!(error, ProxmoxError::Unauthorized);
    assert_eq!(error.kind(), "unauthorized");
}

fn client_with_password(fake: &ProxmoxFakeHandle, password: &str) -> ProxmoxClient {
    client(
        fake.base_url(),
        ProxmoxAuth::Password {
            username: DEFAULT_USERNAME.into(),
            password: password.into(),
        },
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    )
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output_and_errors() {
    let config = ProxmoxConfig {
        base_url: "http://127.0.0.1:1".into(),
        auth: ProxmoxAuth::Password {
            username: "root@pam".into(),
            password: "super-secret-pw".into(),
        },
        tls: TlsTrust::PublicRoots,
        timeout: Duration::from_secs(1),
    };
    assert!(!format!("{config:?}").contains("super-secret-pw"));
    let client = ProxmoxClient::new(config).unwrap();
    let error = client.version().await.unwrap_err();
    assert!(!format!("{error} {error:?}").contains("super-secret-pw"));
    let token = ProxmoxAuth::Token {
        token_id: "a@pve!b".into(),
        secret: "token-secret-uuid".into(),
    };
    assert!(!format!("{token:?}").contains("token-secret-uuid"));
    let vm = VmConfig {
        cipassword: Some("pw-in-config".into()),
        ..VmConfig::default()
    };
    assert!(!format!("{vm:?}").contains("pw-in-config"));
}

#[tokio::test]
async fn connection_failures_are_told_apart() {
    let auth = ProxmoxAuth::Token {
        token_id: "a@pve!b".into(),
        secret: "s".into(),
    };

    let dns = client(
        "https://nonexistent.invalid:8006".into(),
        auth.clone(),
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    );
    let error = dns.version().await.unwrap_err();
    assert_eq!(error.kind(), "dns", "{error:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = client(
        format!("http://127.0.0.1:{port}"),
        auth.clone(),
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    );
    let error = refused.version().await.unwrap_err();
    assert_eq!(error.kind(), "refused", "{error:?}");
    assert!(error.is_transient());

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let mute = client(
        format!("http://{silent_addr}"),
        auth.clone(),
        TlsTrust::PublicRoots,
        Duration::from_millis(300),
    );
    assert_eq!(mute.version().await.unwrap_err(), ProxmoxError::Timeout);
    hold.abort();

    let tls_fake =
        ProxmoxFake::start_tls("127.0.0.1:0".parse().unwrap(), ProxmoxFakeConfig::default())
            .await
            .unwrap();
    let public = client(
        tls_fake.base_url(),
        auth,
        TlsTrust::PublicRoots,
        Duration::from_secs(5),
    );
    let error = public.version().await.unwrap_err();
    assert_eq!(
        error.kind(),
        "tls",
        "a self-signed certificate is not in the web PKI: {error:?}"
    );
}

#[tokio::test]
async fn a_pinned_fingerprint_passes_and_another_is_a_tls_error_naming_the_seen_one() {
    let fake = ProxmoxFake::start_tls("127.0.0.1:0".parse().unwrap(), ProxmoxFakeConfig::default())
        .await
        .unwrap();
    let fingerprint = fake.fingerprint().unwrap().to_owned();
    let config = fake.config();
    let auth = ProxmoxAuth::Token {
        token_id: config.token_id.clone(),
        secret: config.token_secret.clone(),
    };

    let lower_bare = fingerprint.replace(':', "").to_lowercase();
    let pinned = client(
        fake.base_url(),
        auth.clone(),
        TlsTrust::Fingerprint(lower_bare),
        Duration::from_secs(5),
    );
    assert_eq!(pinned.version().await.unwrap().version, "8.2.4");
    assert_eq!(pinned.nodes().await.unwrap().len(), 3);

    let wrong = "AA:".repeat(31) + "AA";
    let mismatched = client(
        fake.base_url(),
        auth,
        TlsTrust::Fingerprint(wrong),
        Duration::from_secs(5),
    );
    let error = mismatched.version().await.unwrap_err();
    match &error {
        ProxmoxError::Tls(message) => assert!(message.contains(&fingerprint), "{message}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(!error.is_transient());
}
