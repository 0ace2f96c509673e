//! Scripted peers: a router speaking the API framing, and a bare HTTP/1.1
//! server, each on a loopback port, each serving what the test scripts.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use routeros::{
    RouterConfig, Transport,
    api::Stream,
    codec::{Decoder, encode_sentence},
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
    task::JoinHandle,
};

pub const CERTIFICATE: &[u8] = include_bytes!("fixtures/router-cert.der");
const PRIVATE_KEY: &[u8] = include_bytes!("fixtures/router-key.der");

/// Every scripted exchange must finish well within this.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub fn config(addr: SocketAddr, transport: Transport) -> RouterConfig {
    RouterConfig {
        host: addr.ip().to_string(),
        port: addr.port(),
        transport,
        pinned_sha256: None,
        username: "admin".into(),
        password: "secret".into(),
        connect_timeout: Duration::from_secs(3),
        reply_timeout: Duration::from_secs(5),
    }
}

/// The router's side of one API connection.
pub struct Conn {
    stream: Box<dyn Stream>,
    decoder: Decoder,
}

impl Conn {
    /// The next sentence as text; `None` once the client has gone.
    pub async fn recv(&mut self) -> Option<Vec<String>> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(sentence) = self.decoder.next_sentence().unwrap() {
                return Some(
                    sentence
                        .words()
                        .map(|word| String::from_utf8(word.to_vec()).unwrap())
                        .collect(),
                );
            }
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(read) => self.decoder.feed(&chunk[..read]),
            }
        }
    }

    /// The next sentence, which must be `command`; returns its words and tag word.
    pub async fn expect(&mut self, command: &str) -> (Vec<String>, String) {
        let words = self.recv().await.expect("the client hung up");
        assert_eq!(words[0], command, "{words:?}");
        let tag = words
            .iter()
            .find(|word| word.starts_with(".tag="))
            .cloned()
            .expect("every command is tagged");
        (words, tag)
    }

    pub async fn send(&mut self, words: &[&str]) {
        self.send_raw(&encode_sentence(words).unwrap()).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// A RouterOS ≥ 6.43 login for admin/secret.
    pub async fn accept_login(&mut self) {
        let (words, tag) = self.expect("/login").await;
        assert!(words.contains(&"=name=admin".to_owned()), "{words:?}");
        assert!(words.contains(&"=password=secret".to_owned()), "{words:?}");
        self.send(&["!done", &tag]).await;
    }
}

/// A router that serves one connection with `script`. The handle fails
/// when the script's assertions fail.
pub async fn scripted_router<F, Fut>(script: F) -> (SocketAddr, JoinHandle<()>)
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = Conn {
            stream: Box::new(stream),
            decoder: Decoder::new(),
        };
        tokio::time::timeout(DEADLINE, script(conn))
            .await
            .expect("the script ran past its deadline");
    });
    (addr, task)
}

pub fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(CERTIFICATE.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(PRIVATE_KEY.to_vec())),
        )
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Like [`scripted_router`], behind TLS with the fixture certificate. A
/// failed handshake ends the task quietly (the client's error is the test).
pub async fn scripted_tls_router<F, Fut>(script: F) -> (SocketAddr, JoinHandle<()>)
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tls_acceptor();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let Ok(stream) = acceptor.accept(stream).await else {
            return;
        };
        let conn = Conn {
            stream: Box::new(stream),
            decoder: Decoder::new(),
        };
        tokio::time::timeout(DEADLINE, script(conn))
            .await
            .expect("the script ran past its deadline");
    });
    (addr, task)
}

/// One HTTP request as the server saw it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A fixed answer: status and body (JSON, or empty).
pub type HttpAnswer = (u16, String);

/// An HTTP/1.1 server answering every request with `handler`, one request
/// per connection; records what it received.
pub struct HttpServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<HttpRequest>>>,
    task: JoinHandle<()>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpServer {
    pub async fn start<H>(tls: bool, handler: H) -> HttpServer
    where
        H: Fn(&HttpRequest) -> HttpAnswer + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let acceptor = tls.then(tls_acceptor);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let recorded = recorded.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let stream: Box<dyn Stream> = match acceptor {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => Box::new(stream),
                            Err(_) => return,
                        },
                        None => Box::new(stream),
                    };
                    serve_http(stream, &*handler, &recorded).await;
                });
            }
        });
        HttpServer {
            addr,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve_http(
    mut stream: Box<dyn Stream>,
    handler: &(dyn Fn(&HttpRequest) -> HttpAnswer + Send + Sync),
    recorded: &Mutex<Vec<HttpRequest>>,
) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
        }
    };
    let head = String::from_utf8(received[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap().to_owned();
    let target = request_line.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.parse().unwrap())
        .unwrap_or(0);
    while received.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
        }
    }
    let request = HttpRequest {
        method,
        target,
        headers,
        body: String::from_utf8(received[head_end..head_end + length].to_vec()).unwrap(),
    };
    let (status, body) = handler(&request);
    recorded.lock().unwrap().push(request);
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
