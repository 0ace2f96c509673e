//! The sandbox's HTTP side: one actix-web server with the index page of all
//! fakes, and each fake's own pages and JSON API under its own prefix
//! (`/mail` and `/api/smtp` for the SMTP sink, `/api/rdap` for RDAP).

pub(crate) mod html;
mod rdap;
mod smtp;
mod telegram;

use std::{io, net::SocketAddr};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, http::StatusCode, web};
use tokio::task::JoinHandle;

use crate::{error::SandboxError, rdap::RdapState, smtp::MailStore, telegram::TelegramState};

/// What the pages read; the stores, not the fakes' handles, so that the web
/// server does not keep a fake alive.
#[derive(Clone)]
pub(crate) struct WebState {
    pub smtp_addr: SocketAddr,
    pub mail: MailStore,
    pub telegram_addr: SocketAddr,
    pub telegram: TelegramState,
    pub rdap: RdapState,
}

/// The running HTTP server; dropping it stops it.
#[derive(Debug)]
pub(crate) struct WebServer {
    addr: SocketAddr,
    handle: ServerHandle,
    task: JoinHandle<io::Result<()>>,
}

impl WebServer {
    /// Binds `addr` (port 0 picks a free port) and serves until stopped.
    pub(crate) fn start(addr: SocketAddr, state: WebState) -> Result<Self, SandboxError> {
        let bind_error = |source| SandboxError::Bind {
            service: "HTTP",
            addr,
            source,
        };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr {
                service: "HTTP",
                source,
            })?;
        let state = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(routes)
                .default_service(web::to(|| async { html::not_found("No such page.") }))
        })
        // One worker is plenty for a developer and a test suite, and keeps
        // the threads of the many sandboxes a test run starts few.
        .workers(1)
        // The binary handles signals itself; a library must not steal them.
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(WebServer { addr, handle, task })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets running requests finish, and waits for that.
    pub(crate) async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        // Dropping actix's server future stops its workers too.
        self.task.abort();
    }
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route(
            "/healthz",
            web::get().to(|| async { HttpResponse::Ok().body("ok") }),
        )
        .configure(smtp::routes)
        .configure(telegram::routes)
        .configure(rdap::routes);
}

async fn index(state: web::Data<WebState>) -> HttpResponse {
    let body = format!(
        "<h1>Juragan sandbox</h1>\
         <p class=\"muted\">Local fakes of the services Juragan talks to. \
         Nothing here leaves this machine.</p>\
         {mail}{telegram}{rdap}",
        mail = smtp::index_section(&state),
        telegram = telegram::index_section(&state),
        rdap = rdap::index_section(&state),
    );
    html::response(StatusCode::OK, html::page("Juragan sandbox", &body))
}
