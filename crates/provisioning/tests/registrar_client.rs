//! The ResellerClub registrar client against the sandbox's registrar fake:
//! register, find, change nameservers, refusals, bad credentials, outages,
//! and adopting a registration whose answer came after the timeout.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{Months, Utc};
use provisioning::registrar::{
    RegistrantContact, Registrar, RegistrarError, RegistrationRequest, ResellerClubConfig,
    ResellerClubRegistrar,
};
use sandbox::registrar::{
    RegistrarCall, RegistrarFailure, RegistrarFake, RegistrarFakeConfig, RegistrarFakeHandle,
};

async fn fake() -> RegistrarFakeHandle {
    RegistrarFake::start(
        "127.0.0.1:0".parse().unwrap(),
        RegistrarFakeConfig::default(),
    )
    .await
    .unwrap()
}

fn client_with(
    fake: &RegistrarFakeHandle,
    api_key: &str,
    timeout: Duration,
) -> ResellerClubRegistrar {
    let _ = rustls::crypto::ring::default_provider().install_default();
    ResellerClubRegistrar::new(ResellerClubConfig {
        base_url: fake.api_url(),
        auth_userid: fake.auth_userid().to_owned(),
        api_key: api_key.to_owned(),
        customer_id: fake.customer_id().to_owned(),
        timeout,
    })
    .unwrap()
}

fn client(fake: &RegistrarFakeHandle) -> ResellerClubRegistrar {
    client_with(fake, fake.api_key(), Duration::from_secs(10))
}

fn request(domain: &str, years: u8) -> RegistrationRequest {
    RegistrationRequest {
        domain: domain.to_owned(),
        years,
        nameservers: vec!["ns1.sandbox.test".into(), "ns2.sandbox.test".into()],
        contact: RegistrantContact {
            name: "Budi Santoso".into(),
            email: "budi@example.test".into(),
            phone: "+62 812-3456-7890".into(),
            address: "Jl. Merdeka 1, Bandung, 40111".into(),
            country: "id".into(),
        },
    }
}

#[tokio::test]
async fn register_find_and_change_nameservers() {
    let fake = fake().await;
    let registrar = client(&fake);
    assert_eq!(registrar.find("tokobudi.id").await.unwrap(), None);

    let registration = registrar
        .register(&request("TokoBudi.id", 2))
        .await
        .unwrap();
    assert_eq!(registration.domain, "tokobudi.id");
    assert_eq!(
        registration.nameservers,
        ["ns1.sandbox.test", "ns2.sandbox.test"]
    );
    assert_eq!(registration.status, "Active");
    let in_two_years = Utc::now().checked_add_months(Months::new(24)).unwrap();
    assert!((registration.expires_at - in_two_years).num_minutes().abs() < 5);

    let stored = fake.registration("tokobudi.id").unwrap();
    assert_eq!(stored.order_id, registration.registrar_order_id);
    assert_eq!(stored.years, 2);
    let contact = &fake.contacts()[0];
    assert_eq!(contact.id, stored.contact_id);
    assert_eq!(
        (contact.phone_cc.as_str(), contact.phone.as_str()),
        ("62", "81234567890")
    );
    assert_eq!(
        (contact.country.as_str(), contact.city.as_str()),
        ("ID", "Bandung")
    );

    let found = registrar.find("tokobudi.id").await.unwrap().unwrap();
    assert_eq!(found, registration);

    let new_ns = vec!["ns1.hosting.test".to_owned(), "ns2.hosting.test".to_owned()];
    registrar
        .set_nameservers("tokobudi.id", &new_ns)
        .await
        .unwrap();
    assert_eq!(
        fake.registration("tokobudi.id").unwrap().nameservers,
        new_ns
    );
    assert_eq!(
        registrar
            .find("tokobudi.id")
            .await
            .unwrap()
            .unwrap()
            .nameservers,
        new_ns
    );
}

#[tokio::test]
async fn idn_names_are_sent_as_a_labels() {
    let fake = fake().await;
    let registration = client(&fake)
        .register(&request("bücher.id", 1))
        .await
        .unwrap();
    assert_eq!(registration.domain, "xn--bcher-kva.id");
    assert!(fake.registration("xn--bcher-kva.id").is_some());
}

#[tokio::test]
async fn refusals_are_rejected_not_transient() {
    let fake = fake().await;
    let registrar = client(&fake);
    let taken = registrar
        .register(&request("taken.id", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&taken, RegistrarError::Rejected(message) if message.contains("not available")),
        "{taken:?}"
    );
    assert!(!taken.is_transient());

    registrar
        .register(&request("tokobudi.id", 1))
        .await
        .unwrap();
    let twice = registrar
        .register(&request("tokobudi.id", 1))
        .await
        .unwrap_err();
    assert!(matches!(twice, RegistrarError::Rejected(_)));

    let years = registrar
        .register(&request("other.id", 0))
        .await
        .unwrap_err();
    assert!(matches!(years, RegistrarError::Rejected(_)));

    let unknown = registrar
        .set_nameservers("ghost.id", &["ns1.sandbox.test".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, RegistrarError::Rejected(_)),
        "{unknown:?}"
    );

    fake.fail_next(
        RegistrarCall::ModifyNs,
        RegistrarFailure::Rejected("Invalid Name Server: ns9.x".into()),
    );
    let refused = registrar
        .set_nameservers("tokobudi.id", &["ns9.x.test".into()])
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        RegistrarError::Rejected("Invalid Name Server: ns9.x".into())
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_never_echoed() {
    let fake = fake().await;
    let secret = "WRONG-API-KEY-123";
    let registrar = client_with(&fake, secret, Duration::from_secs(5));
    let error = registrar.find("tokobudi.id").await.unwrap_err();
    assert_eq!(error, RegistrarError::Unauthorized);
    assert!(!format!("{error} {error:?} {registrar:?}").contains(secret));
    assert!(!format!("{:?}", client(&fake)).contains(fake.api_key()));
}

#[tokio::test]
async fn outages_are_transient() {
    let fake = fake().await;
    let registrar = client(&fake);
    fake.fail_next(RegistrarCall::Details, RegistrarFailure::Http(503));
    let error = registrar.find("tokobudi.id").await.unwrap_err();
    assert!(matches!(error, RegistrarError::Unavailable(_)), "{error:?}");
    assert!(error.is_transient());
    assert!(!error.to_string().contains(fake.api_key()));

    let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed = ResellerClubRegistrar::new(ResellerClubConfig {
        base_url: format!("http://{nowhere}/api/"),
        auth_userid: "1".into(),
        api_key: "SECRET-KEY-XYZ".into(),
        customer_id: "2".into(),
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let error = closed.find("tokobudi.id").await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(!error.to_string().contains("SECRET-KEY-XYZ"));
}

#[tokio::test]
async fn a_late_registration_is_adopted_with_find() {
    let fake = fake().await;
    let registrar = client_with(&fake, fake.api_key(), Duration::from_millis(500));
    fake.fail_next(
        RegistrarCall::Register,
        RegistrarFailure::AnswerAfter(Duration::from_secs(3)),
    );
    let error = registrar
        .register(&request("tokobudi.id", 1))
        .await
        .unwrap_err();
    assert!(matches!(error, RegistrarError::Unavailable(_)), "{error:?}");
    assert!(error.is_transient());
    let adopted = registrar.find("tokobudi.id").await.unwrap().unwrap();
    assert_eq!(
        adopted.registrar_order_id,
        fake.registration("tokobudi.id").unwrap().order_id
    );
    assert_eq!(fake.calls(RegistrarCall::Register), 1);
}

#[tokio::test]
async fn the_trait_is_object_safe() {
    let fake = fake().await;
    let registrar: Box<dyn Registrar> = Box::new(client(&fake));
    assert_eq!(registrar.find("nothing.id").await.unwrap(), None);
}
