//! The Proxmox fake as raw HTTP clients see it: both ways of logging in,
//! the envelope and PVE's error shapes (reason phrase and body), `nextid`
//! as a string, a clone's lock and task lifecycle, PVE's refusals, the
//! injected failures, and a third-party client (proxmoxer) unchanged.

use std::time::Duration;

use reqwest::{StatusCode, header};
use sandbox::proxmox::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, ProxmoxFailure, ProxmoxFake, ProxmoxFakeConfig,
    ProxmoxFakeHandle, ProxmoxOp,
};
use serde_json::Value;

use crate::helpers::{WAIT, http_client};

async fn fake(task_duration: Duration) -> ProxmoxFakeHandle {
    ProxmoxFake::start(
        "127.0.0.1:0".parse().unwrap(),
        ProxmoxFakeConfig {
            task_duration,
            task_unknown_window: Duration::from_millis(150).min(task_duration),
            ..ProxmoxFakeConfig::default()
        },
    )
    .await
    .unwrap()
}

/// Status, reason phrase and JSON body of a token-authenticated call.
async fn token_call(
    fake: &ProxmoxFakeHandle,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Value) {
    let mut request = http_client()
        .request(method, format!("{}{path}", fake.api_url()))
        .header(header::AUTHORIZATION, fake.token_header());
    if !form.is_empty() {
        request = request.form(form);
    }
    answer(request.send().await.unwrap()).await
}

async fn answer(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|reason| String::from_utf8_lossy(reason.as_bytes()).into_owned())
        .unwrap_or_default();
    (status, reason, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tokens_and_tickets_with_csrf_authenticate_and_anything_else_is_401() {
    let fake = fake(Duration::ZERO).await;

    let (status, _, body) = token_call(&fake, reqwest::Method::GET, "/version", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["version"], "8.2.4");

    let anonymous = http_client()
        .get(format!("{}/nodes", fake.api_url()))
        .send()
        .await
        .unwrap();
    let (status, reason, _) = answer(anonymous).await;
    assert_eq!(
        (status, reason.as_str()),
        (StatusCode::UNAUTHORIZED, "No ticket")
    );

    let wrong = http_client()
        .get(format!("{}/nodes", fake.api_url()))
        .header(
            header::AUTHORIZATION,
            "PVEAPIToken=juragan@pve!provisioning=wrong",
        )
        .send()
        .await
        .unwrap();
    let (status, reason, _) = answer(wrong).await;
    assert_eq!(
        (status, reason.as_str()),
        (StatusCode::UNAUTHORIZED, "authentication failure")
    );

    let bad_login = http_client()
        .post(format!("{}/access/ticket", fake.api_url()))
        .form(&[("username", DEFAULT_USERNAME), ("password", "salah")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_login.status(), StatusCode::UNAUTHORIZED);

    // JSON bodies work as well as forms.
    let login = http_client()
        .post(format!("{}/access/ticket", fake.api_url()))
        .json(&serde_json::json!({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = answer(login).await;
    assert_eq!(status, StatusCode::OK);
    let ticket = body["data"]["ticket"].as_str().unwrap().to_owned();
    let csrf = body["data"]["CSRFPreventionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ticket.starts_with("PVE:root@pam:"));
    let cookie = format!("PVEAuthCookie={ticket}");

    let read = http_client()
        .get(format!("{}/nodes", fake.api_url()))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK, "reads need no CSRF token");

    let url = format!("{}/nodes/pve-jkt-1/qemu/9000/clone", fake.api_url());
    let without_csrf = http_client()
        .post(&url)
        .header(header::COOKIE, &cookie)
        .form(&[("newid", "100"), ("name", "vps-one")])
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), StatusCode::UNAUTHORIZED);
    assert!(fake.vm(100).is_none());

    let with_csrf = http_client()
        .post(&url)
        .header(header::COOKIE, &cookie)
        .header("CSRFPreventionToken", &csrf)
        .form(&[("newid", "100"), ("name", "vps-one")])
        .send()
        .await
        .unwrap();
    let (status, _, body) = answer(with_csrf).await;
    assert_eq!(status, StatusCode::OK);
    let upid = body["data"].as_str().unwrap();
    assert!(upid.ends_with(":qmclone:9000:root@pam:"), "{upid}");
    assert_eq!(upid.split(':').count(), 9);
}

#[tokio::test]
async fn nextid_is_a_string_and_a_taken_id_is_400() {
    let fake = fake(Duration::ZERO).await;
    let (status, _, body) = token_call(&fake, reqwest::Method::GET, "/cluster/nextid", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], "100");

    let (status, _, body) = token_call(
        &fake,
        reqwest::Method::GET,
        "/cluster/nextid?vmid=9000",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["data"], Value::Null);
    assert!(
        body["errors"]["vmid"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
}

#[tokio::test]
async fn a_clone_holds_its_lock_while_its_task_runs_after_a_400_window() {
    let fake = fake(Duration::from_millis(600)).await;
    let (_, _, body) = token_call(
        &fake,
        reqwest::Method::POST,
        "/nodes/pve-jkt-1/qemu/9000/clone",
        &[("newid", "101"), ("name", "vps-lock"), ("full", "1")],
    )
    .await;
    let upid = body["data"].as_str().unwrap().to_owned();
    let status_path = format!("/nodes/pve-jkt-1/tasks/{upid}/status");

    let (status, _, _) = token_call(&fake, reqwest::Method::GET, &status_path, &[]).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "not yet known right after dispatch"
    );
    assert_eq!(fake.vm(101).unwrap().lock.as_deref(), Some("clone"));
    let (status, reason, _) = token_call(
        &fake,
        reqwest::Method::PUT,
        "/nodes/pve-jkt-1/qemu/101/config",
        &[("cores", "2")],
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reason.contains("got timeout"), "{reason}");

    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, _, body) = token_call(&fake, reqwest::Method::GET, &status_path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["status"], "running");
    assert_eq!(body["data"]["type"], "qmclone");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, _, body) = token_call(&fake, reqwest::Method::GET, &status_path, &[]).await;
    assert_eq!(body["data"]["status"], "stopped");
    assert_eq!(body["data"]["exitstatus"], "OK");
    assert_eq!(fake.vm(101).unwrap().lock, None);

    let (_, _, body) = token_call(
        &fake,
        reqwest::Method::GET,
        &format!("/nodes/pve-jkt-1/tasks/{upid}/log"),
        &[],
    )
    .await;
    let lines = body["data"].as_array().unwrap();
    assert_eq!(lines.last().unwrap()["t"], "TASK OK");
    assert_eq!(body["total"], lines.len());
}

#[tokio::test]
async fn a_running_vm_migrates_only_online_with_its_local_disks_and_lands_on_the_target() {
    let fake = fake(Duration::ZERO).await;
    let call = |method: reqwest::Method,
                path: &'static str,
                form: &'static [(&'static str, &'static str)]| {
        let fake = &fake;
        async move { token_call(fake, method, path, form).await }
    };
    call(
        reqwest::Method::POST,
        "/nodes/pve-jkt-1/qemu/9000/clone",
        &[("newid", "120"), ("name", "vps-move"), ("full", "1")],
    )
    .await;
    call(
        reqwest::Method::POST,
        "/nodes/pve-jkt-1/qemu/120/status/start",
        &[],
    )
    .await;

    for (form, refusal) in [
        (&[][..], "property is missing"),
        (&[("target", "pve-jkt-1")][..], "target is local node."),
        (
            &[("target", "pve-mars")][..],
            "no such cluster node 'pve-mars'",
        ),
        (
            &[("target", "pve-jkt-2")][..],
            "can't migrate running VM without --online",
        ),
        (
            &[("target", "pve-jkt-2"), ("online", "1")][..],
            "can't live migrate attached local disks without with-local-disks option",
        ),
    ] {
        let (status, reason, body) = token_call(
            &fake,
            reqwest::Method::POST,
            "/nodes/pve-jkt-1/qemu/120/migrate",
            form,
        )
        .await;
        assert!(
            status.is_client_error() || status.is_server_error(),
            "{form:?}"
        );
        assert!(
            reason.contains(refusal) || body.to_string().contains(refusal),
            "{form:?}: {reason} {body}"
        );
        assert_eq!(
            fake.vm(120).unwrap().node,
            "pve-jkt-1",
            "a refusal moves nothing"
        );
    }

    let (status, _, body) = call(
        reqwest::Method::POST,
        "/nodes/pve-jkt-1/qemu/120/migrate",
        &[
            ("target", "pve-jkt-2"),
            ("online", "1"),
            ("with-local-disks", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["data"].as_str().unwrap().contains(":qmigrate:120:"),
        "{body}"
    );
    let moved = fake.vm(120).unwrap();
    assert_eq!(
        (moved.node.as_str(), moved.status.as_str()),
        ("pve-jkt-2", "running")
    );
    assert_eq!(moved.lock, None);
}

#[tokio::test]
async fn pve_refusals_carry_its_texts_in_the_reason_and_the_body() {
    let fake = fake(Duration::ZERO).await;
    let post = reqwest::Method::POST;
    token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-1/qemu/9000/clone",
        &[("newid", "100"), ("name", "vps-a")],
    )
    .await;

    let (status, reason, body) = token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-2/qemu/9000/clone",
        &[("newid", "100")],
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reason, "VM 100 already exists on node 'pve-jkt-1'");
    assert_eq!(
        body["message"],
        "VM 100 already exists on node 'pve-jkt-1'\n"
    );

    let (status, reason, _) = token_call(
        &fake,
        reqwest::Method::GET,
        "/nodes/pve-jkt-1/qemu/555/config",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reason.contains("does not exist"), "{reason}");

    let (status, reason, body) = token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-1/qemu/100/config",
        &[("sshkeys", "ssh-ed25519 AAAA budi@laptop")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reason, "Parameter verification failed.");
    assert_eq!(
        body["errors"]["sshkeys"],
        "invalid format - invalid urlencoded string"
    );

    let (status, _, body) = token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-1/qemu/100/config",
        &[("ipconfig0", "ip=10.0.0.5,gw=10.0.0.1")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"]["ipconfig0"]
            .as_str()
            .unwrap()
            .starts_with("invalid format")
    );

    let (status, _, body) = token_call(
        &fake,
        reqwest::Method::PUT,
        "/nodes/pve-jkt-1/qemu/100/resize",
        &[("disk", "scsi0"), ("size", "5G")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"]["size"]
            .as_str()
            .unwrap()
            .contains("shrinking")
    );

    // net0 is stored as sent; a missing MAC is generated.
    token_call(
        &fake,
        reqwest::Method::PUT,
        "/nodes/pve-jkt-1/qemu/100/config",
        &[("net0", "virtio,bridge=vmbr1,rate=12.5")],
    )
    .await;
    let net0 = fake.vm(100).unwrap().config["net0"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        net0.starts_with("virtio=BC:24:11:") && net0.ends_with(",bridge=vmbr1,rate=12.5"),
        "{net0}"
    );

    token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-1/qemu/100/status/start",
        &[],
    )
    .await;
    let (status, reason, _) = token_call(
        &fake,
        post.clone(),
        "/nodes/pve-jkt-1/qemu/100/status/start",
        &[],
    )
    .await;
    assert_eq!(
        (status, reason.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "VM 100 already running")
    );
    let (_, reason, _) = token_call(
        &fake,
        reqwest::Method::DELETE,
        "/nodes/pve-jkt-1/qemu/100",
        &[],
    )
    .await;
    assert_eq!(reason, "VM 100 is running - destroy failed");

    let (status, _, _) = token_call(
        &fake,
        post,
        "/nodes/pve-jkt-1/qemu/9001/clone",
        &[("newid", "120"), ("full", "0"), ("storage", "local-lvm")],
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn injected_failures_strike_the_named_operation_once() {
    let fake = fake(Duration::ZERO).await;
    fake.fail_next(
        ProxmoxOp::NextId,
        ProxmoxFailure::Http {
            status: 503,
            message: "Service Unavailable".into(),
        },
    );
    let (status, _, _) = token_call(&fake, reqwest::Method::GET, "/cluster/nextid", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, _) = token_call(&fake, reqwest::Method::GET, "/cluster/nextid", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.calls(ProxmoxOp::NextId), 2);

    fake.fail_next(ProxmoxOp::Any, ProxmoxFailure::Drop);
    let dropped = http_client()
        .get(format!("{}/nodes", fake.api_url()))
        .header(header::AUTHORIZATION, fake.token_header())
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without an answer");

    fake.fail_next(
        ProxmoxOp::Clone,
        ProxmoxFailure::AnswerAfter(Duration::from_secs(5)),
    );
    let late = http_client()
        .post(format!(
            "{}/nodes/pve-jkt-1/qemu/9000/clone",
            fake.api_url()
        ))
        .header(header::AUTHORIZATION, fake.token_header())
        .form(&[("newid", "130"), ("name", "vps-late")])
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(late.unwrap_err().is_timeout());
    assert_eq!(
        fake.vm(130).unwrap().name.as_deref(),
        Some("vps-late"),
        "done although unanswered"
    );

    fake.fail_next(
        ProxmoxOp::Start,
        ProxmoxFailure::TaskFails("start failed: QEMU exited".into()),
    );
    let (_, _, body) = token_call(
        &fake,
        reqwest::Method::POST,
        "/nodes/pve-jkt-1/qemu/130/status/start",
        &[],
    )
    .await;
    let upid = body["data"].as_str().unwrap().to_owned();
    let (_, _, body) = token_call(
        &fake,
        reqwest::Method::GET,
        &format!("/nodes/pve-jkt-1/tasks/{upid}/status"),
        &[],
    )
    .await;
    assert_eq!(body["data"]["exitstatus"], "start failed: QEMU exited");
    assert_eq!(fake.vm(130).unwrap().status, "stopped");
}

#[tokio::test]
async fn node_usage_grows_with_the_vms_created_on_it() {
    let fake = fake(Duration::ZERO).await;
    let nodes = |body: &Value, name: &str| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == name)
            .unwrap()
            .clone()
    };
    let (_, _, before) = token_call(&fake, reqwest::Method::GET, "/nodes", &[]).await;
    token_call(
        &fake,
        reqwest::Method::POST,
        "/nodes/pve-jkt-2/qemu/9003/clone",
        &[("newid", "140"), ("name", "win")],
    )
    .await;
    let (_, _, after) = token_call(&fake, reqwest::Method::GET, "/nodes", &[]).await;
    let grew = |key: &str| {
        nodes(&after, "pve-jkt-2")[key].as_u64().unwrap()
            - nodes(&before, "pve-jkt-2")[key].as_u64().unwrap()
    };
    assert_eq!(grew("mem"), 4096 * 1024 * 1024);
    assert_eq!(grew("disk"), 40 * 1024 * 1024 * 1024);
    assert_eq!(
        nodes(&after, "pve-jkt-1")["mem"],
        nodes(&before, "pve-jkt-1")["mem"]
    );
}

/// proxmoxer, the reference Python client, drives the fake unchanged
/// (token and ticket auth, clone, task wait). Skipped, saying why, only when
/// python3 or proxmoxer is missing.
#[tokio::test]
async fn proxmoxer_works_unchanged() {
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import proxmoxer, requests"])
        .output()
        .await;
    match probe {
        Ok(output) if output.status.success() => {}
        _ => {
            eprintln!(
                "SKIPPED: python3 with proxmoxer and requests is not available (pip install proxmoxer requests)"
            );
            return;
        }
    }
    // proxmoxer polls a task at once, so no 400 window here; it speaks
    // HTTPS only.
    let fake = ProxmoxFake::start_tls(
        "127.0.0.1:0".parse().unwrap(),
        ProxmoxFakeConfig {
            task_duration: Duration::from_millis(300),
            task_unknown_window: Duration::ZERO,
            ..ProxmoxFakeConfig::default()
        },
    )
    .await
    .unwrap();
    let config = fake.config();
    let (user, token_name) = config.token_id.split_once('!').unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proxmoxer_compat.py");
    let output = tokio::time::timeout(
        WAIT * 3,
        tokio::process::Command::new("python3")
            .arg(script)
            .env("PVE_HOST", fake.addr().to_string())
            .env("PVE_TOKEN_USER", user)
            .env("PVE_TOKEN_NAME", token_name)
            .env("PVE_TOKEN_SECRET", &config.token_secret)
            .env("PVE_USER", &config.username)
            .env("PVE_PASSWORD", &config.password)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "proxmoxer script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        fake.vms()
            .iter()
            .any(|vm| vm.name.as_deref() == Some("proxmoxer-vm"))
    );
}
