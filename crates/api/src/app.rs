//! Building and running the application: connect, bind (port 0 in tests),
//! wire routes, middleware and the job runner, and stop gracefully.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use billing::domain_check::{DomainCheckConfig, DomainChecker};
use identity::{Identity, IdentityConfig, KeySet};
use jobs::{JobRunner, RunnerConfig, RunnerHandle};
use monitoring::checker::CheckerConfig;
use monitoring::probe::ProberConfig;
use notify::Mailer;
use notify::delivery::TelegramDelivery;
use notify::telegram::TelegramClient;
use notify::throttle::SendThrottle;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::{ApiError, json_config};
use crate::fallback::{problem_for_bare_errors, unmatched_request};
use crate::openapi::RouteTable;
use crate::routes::system::OpenApiJson;
use crate::spa::Spa;
use crate::state::{AppState, Telegram};
use crate::telemetry::{PrometheusMetrics, observe_request};
use crate::{background, openapi, routes, security};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

pub struct Application {
    port: u16,
    server: Server,
    runner: Option<RunnerHandle>,
    /// Stops the port checker loop.
    checker: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

pub async fn connect_database(settings: &Settings) -> anyhow::Result<PgPool> {
    // SQL's shop_today() reads the zone from this setting, so the database
    // and the Rust calendar agree on "today" (migration 20261202000300). A
    // per-connection setting rather than passing the day everywhere: reads
    // such as "days left" in list queries stay plain SQL. Code that follows
    // an injected clock (expiry, sales dates) binds the day from Rust.
    let zone = settings.shop_calendar.zone_name();
    PgPoolOptions::new()
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                sqlx::query("SELECT set_config('juragan.shop_timezone', $1, false)")
                    .bind(zone)
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .max_connections(settings.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(settings.database_url.expose())
        .await
        .context("connecting to PostgreSQL (DATABASE_URL)")
}

pub async fn connect_redis(settings: &Settings) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(settings.redis_url.expose()).context("parsing REDIS_URL")?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(3)));
    ConnectionManager::new_with_config(client, config)
        .await
        .context("connecting to Redis (REDIS_URL)")
}

/// reqwest and lettre are built without a default TLS backend so the tree
/// stays ring-only; the provider is chosen once per process, here.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The identity service from the settings: signing keys, mailer, OTP pepper.
pub fn build_identity(
    settings: &Settings,
    pool: PgPool,
    redis: ConnectionManager,
) -> anyhow::Result<Identity> {
    let pems: Vec<String> = settings
        .jwt_private_keys
        .iter()
        .map(|key| key.expose().to_owned())
        .collect();
    let keys = KeySet::from_pems(&pems, &settings.public_base_url).context("JWT_PRIVATE_KEYS")?;
    let mailer = Mailer::from_url(settings.smtp_url.expose(), &settings.mail_from)?;
    // The OTP pepper is derived, so there is one secret less to manage.
    let pepper =
        Sha256::digest(format!("juragan-otp-pepper:{}", settings.secret_key.expose()).as_bytes())
            .to_vec();
    let config = IdentityConfig {
        redis_prefix: settings.redis_key_prefix.clone(),
        public_base_url: settings.public_base_url.clone(),
        otp_pepper: pepper,
    };
    Ok(Identity::new(pool, redis, Arc::new(keys), mailer, config))
}

/// The bot's client and the send throttle every replica shares, or none
/// without a token.
pub fn build_telegram(
    settings: &Settings,
    redis: ConnectionManager,
) -> anyhow::Result<Option<Telegram>> {
    let Some(token) = &settings.telegram_bot_token else {
        return Ok(None);
    };
    // Longer than getUpdates' long poll (at most 20 s).
    let client = TelegramClient::new(
        &settings.telegram_api_base_url,
        token.expose(),
        Duration::from_secs(30),
    )?;
    let prefix = format!("{}telegram:throttle", settings.redis_key_prefix);
    let throttle = SendThrottle::new(
        redis,
        &prefix,
        settings.telegram_send_rate,
        Duration::from_secs(1),
    );
    let delivery = TelegramDelivery {
        client: Arc::new(client),
        throttle: Arc::new(throttle),
    };
    Ok(Some(Telegram {
        delivery,
        bot_username: Arc::default(),
    }))
}

/// The HTTP client payment gateways are called with: no redirects (a
/// gateway answering with one is misconfigured), bounded connects.
pub fn gateway_http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(concat!("juragan/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the payment gateways' HTTP client")
}

/// Provisioning's context: the registrar client from the settings.
pub fn build_provisioner(
    settings: &Settings,
    pool: PgPool,
    sealer: Arc<domain::Sealer>,
) -> anyhow::Result<provisioning::Provisioner> {
    let config = &settings.provisioning;
    let registrar: Arc<dyn provisioning::registrar::Registrar> =
        if config.registrar_auth_userid.is_empty() {
            Arc::new(provisioning::registrar::NotConfigured)
        } else {
            Arc::new(
                provisioning::registrar::ResellerClubRegistrar::new(
                    provisioning::registrar::ResellerClubConfig {
                        base_url: config.registrar_url.clone(),
                        auth_userid: config.registrar_auth_userid.clone(),
                        api_key: config.registrar_api_key.expose().to_owned(),
                        customer_id: config.registrar_customer_id.clone(),
                        timeout: std::time::Duration::from_secs(60),
                    },
                )
                .context("building the registrar client")?,
            )
        };
    Ok(provisioning::Provisioner {
        pool,
        sealer,
        registrar,
        registrar_name: "resellerclub".to_owned(),
        default_nameservers: config.domain_nameservers.clone(),
        tasks: {
            let defaults = provisioning::TaskTiming::default();
            provisioning::TaskTiming {
                poll: config.task_poll,
                proxmox_call: config.call_timeout.unwrap_or(defaults.proxmox_call),
                whm_call: config.call_timeout.unwrap_or(defaults.whm_call),
                ..defaults
            }
        },
        hooks: provisioning::Hooks::default(),
    })
}

/// The RDAP availability checker; it fetches nothing until the first check.
pub fn build_domain_checker(
    settings: &Settings,
    redis: ConnectionManager,
) -> anyhow::Result<DomainChecker> {
    let config = DomainCheckConfig {
        bootstrap_url: settings.rdap_bootstrap_url.clone(),
        deadline: settings.domain_check_timeout,
        key_prefix: settings.redis_key_prefix.clone(),
        ..DomainCheckConfig::default()
    };
    DomainChecker::new(config, redis).context("building the domain availability checker")
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = connect_database(&settings).await?;
        Self::build_with_pool(settings, pool).await
    }

    /// Builds on an existing pool (tests pass their fresh database's pool).
    pub async fn build_with_pool(settings: Settings, pool: PgPool) -> anyhow::Result<Self> {
        install_crypto_provider();
        let redis = connect_redis(&settings).await?;
        let listener = TcpListener::bind(settings.http_addr)
            .with_context(|| format!("binding {}", settings.http_addr))?;
        let port = listener.local_addr()?.port();
        let identity = build_identity(&settings, pool.clone(), redis.clone())?;
        // A replica serves nothing before it knows the current revocations.
        identity
            .start_revocation_sync()
            .await
            .context("loading the revocation list from Redis")?;
        let settings = Arc::new(settings);
        let telegram = build_telegram(&settings, redis.clone())?;
        let domain_checker = build_domain_checker(&settings, redis.clone())?;
        // Without its listener the cache never turns on.
        let storefront_cache = billing::catalog::cache::StorefrontCache::new();
        if settings.storefront_cache_enabled {
            tokio::spawn(billing::catalog::cache::listen(
                pool.clone(),
                storefront_cache.clone(),
            ));
        }
        let clock = domain::Clock::system(settings.shop_calendar);
        let sealer = Arc::new(sealer(&settings)?);
        let payments = billing::payment::PaymentContext {
            pool: pool.clone(),
            sealer: Arc::clone(&sealer),
            http: gateway_http_client()?,
            clock: clock.clone(),
        };
        let provisioner = build_provisioner(&settings, pool.clone(), Arc::clone(&sealer))?;
        let state = AppState {
            pool: pool.clone(),
            identity,
            redis,
            settings: Arc::clone(&settings),
            telegram,
            clock,
            sealer,
            storefront_cache: storefront_cache.clone(),
            domain_checker,
            payments,
            provisioner,
        };

        crate::alerting::spawn_forwarder(pool.clone());
        let runner = if settings.jobs.enabled {
            let config = RunnerConfig {
                concurrency: settings.jobs.concurrency,
                poll_interval: settings.jobs.poll_interval,
                lease: settings.jobs.lease,
                shutdown_grace: settings.jobs.shutdown_grace,
                ..RunnerConfig::default()
            };
            Some(
                JobRunner::new(pool, background::registry(&state)?, config)
                    .start()
                    .await?,
            )
        } else {
            None
        };

        let checker = settings.monitor.enabled.then(|| {
            let config = CheckerConfig {
                prober: ProberConfig {
                    timeout: settings.monitor.check_timeout,
                    concurrency: settings.monitor.concurrency,
                    addresses: settings.monitor.addresses,
                    ..ProberConfig::default()
                },
                clock: state.clock.clone(),
                batch_size: settings.monitor.batch_size,
                canaries: settings.monitor.canaries.clone(),
                group_threshold: settings.monitor.group_threshold,
                ..CheckerConfig::default()
            };
            let token = CancellationToken::new();
            let task = tokio::spawn(monitoring::checker::run(
                state.pool.clone(),
                config,
                token.clone(),
            ));
            (token, task)
        });
        let server = http_server(state, listener)?;
        tracing::info!(port, env = ?settings.app_env, "juragan listening");
        Ok(Self {
            port,
            server,
            runner,
            checker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM (or the handle stops it), then lets the
    /// job runner finish or release its jobs.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let served = self.server.await;
        if let Some((token, task)) = self.checker {
            token.cancel();
            // A sweep in flight finishes within one check timeout.
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        if let Some(runner) = self.runner {
            runner.shutdown().await;
        }
        served.context("HTTP server failed")
    }
}

fn http_server(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let document = openapi::document();
    let document_json = web::Data::new(OpenApiJson(openapi::document_json()));
    let route_table = web::Data::new(RouteTable::from_document(&document));
    let spa = web::Data::new(Spa::new(state.settings.frontend_dist.clone()));
    let metrics = web::Data::new(PrometheusMetrics::global());
    let body_limit = state.settings.body_limit;
    let app_env = state.settings.app_env;
    let state = web::Data::new(state);

    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(document_json.clone())
            .app_data(route_table.clone())
            .app_data(spa.clone())
            .app_data(metrics.clone())
            .app_data(json_config(body_limit))
            .app_data(web::PayloadConfig::default().limit(body_limit))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|error, _| ApiError::BadRequest(error.to_string()).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|error, _| ApiError::BadRequest(error.to_string()).into()),
            )
            // The UI reads the document from the documented endpoint.
            .service(
                SwaggerUi::new("/api/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
            )
            .default_service(web::to(unmatched_request))
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(from_fn(observe_request))
            // Outermost: every answer, errors and the SPA's files included.
            .wrap(security::headers(app_env))
    })
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

pub fn sealer(settings: &Settings) -> anyhow::Result<domain::Sealer> {
    let masters: Vec<&[u8]> = std::iter::once(&settings.secret_key)
        .chain(&settings.previous_secret_keys)
        .map(|key| key.expose().as_bytes())
        .collect();
    Ok(domain::Sealer::new(&masters)?)
}
