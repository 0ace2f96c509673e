//! Access tokens: verifiable by anyone holding only the JWKS document, and
//! refused when forged, expired, for someone else, or signed by a stranger.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use identity::Role;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::Method;
use sha2::Sha256;
use sqlx::PgPool;

use crate::helpers::{assert_problem, spawn_app};

#[sqlx::test(migrations = "../../migrations")]
async fn an_issued_token_verifies_with_nothing_but_the_jwks(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token_with_roles(&[Role::Client]);
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let jwk = jwks.find(&kid).expect("the token's kid is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["juragan-api"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["roles"], serde_json::json!(["client"]));
    for claim in ["iss", "aud", "exp", "iat", "sub"] {
        assert!(claims.get(claim).is_some(), "{claim}");
    }
}

fn forged(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let encode =
        |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    let input = format!("{}.{}", encode(header), encode(claims));
    let signature = URL_SAFE_NO_PAD.encode(sign(input.as_bytes()));
    format!("{input}.{signature}")
}

#[sqlx::test(migrations = "../../migrations")]
async fn forged_expired_and_foreign_tokens_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let genuine = app.token_with_roles(&[Role::Owner]);
    let kid = jsonwebtoken::decode_header(&genuine).unwrap().kid.unwrap();
    let payload = genuine.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let public_jwk = serde_json::to_vec(&jwks["keys"][0]).unwrap();

    let none = forged(
        &serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid}),
        &claims,
        |_| Vec::new(),
    );
    // The classic confusion attack: HMAC keyed with the published public key.
    let hs256 = forged(
        &serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        &claims,
        |input| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&public_jwk).unwrap();
            mac.update(input);
            mac.finalize().into_bytes().to_vec()
        },
    );

    let stranger_key = p256_pem();
    let sign_with = |claims: &serde_json::Value, kid: &str, pem: &str| {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let foreign_kid = sign_with(&claims, "someone-elses-key", &stranger_key);
    let stranger_with_our_kid = sign_with(&claims, &kid, &stranger_key);

    let dev_key = api::Settings::from_lookup(&|_| None)
        .unwrap()
        .jwt_private_keys[0]
        .expose()
        .to_owned();
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = serde_json::json!(chrono::Utc::now().timestamp() - 3600);
    expired_claims["iat"] = serde_json::json!(chrono::Utc::now().timestamp() - 5000);
    let expired = sign_with(&expired_claims, &kid, &dev_key);
    let mut other_audience = claims.clone();
    other_audience["aud"] = serde_json::json!("some-other-api");
    let wrong_audience = sign_with(&other_audience, &kid, &dev_key);

    assert_eq!(
        app.authed(Method::GET, "/api/v1/staff", &genuine, None)
            .await
            .status()
            .as_u16(),
        200,
        "the genuine token works"
    );
    for (name, token) in [
        ("alg none", none),
        ("HS256 keyed with the public key", hs256),
        ("unknown kid", foreign_kid),
        ("stranger's signature under our kid", stranger_with_our_kid),
        ("expired", expired),
        ("wrong audience", wrong_audience),
    ] {
        let response = app.authed(Method::GET, "/api/v1/staff", &token, None).await;
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{name}"
        );
        assert_problem(response, 401, "unauthorized").await;
    }
}

fn p256_pem() -> String {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    secret.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}
