//! Shared test doubles: a resolver and a transport that record what they were asked, a TCP
//! trap that counts connections, and a helper to serve an axum router on 127.0.0.1.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use formwork_jobs::net::{
    AddressClass, Allowlist, BoxFuture, Embedding, HttpConfig, NetError, OutboundResponse,
    PinnedRequest, ReqwestTransport, Resolver, SafeClient, Transport,
};

/// Answers from a fixed table and records every name it was asked.
#[derive(Default)]
pub struct TableResolver {
    pub table: HashMap<String, Vec<IpAddr>>,
    pub asked: Mutex<Vec<String>>,
}

impl TableResolver {
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, Vec<IpAddr>)>) -> Arc<Self> {
        Arc::new(Self {
            table: entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            asked: Mutex::new(Vec::new()),
        })
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Resolver for TableResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        self.asked.lock().unwrap().push(host.to_owned());
        let answer = self.table.get(host).cloned();
        Box::pin(async move {
            answer.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host"))
        })
    }
}

/// Records each pinned request and answers 200 without touching the network.
#[derive(Default)]
pub struct RecordingTransport {
    pub sent: Mutex<Vec<(String, Vec<SocketAddr>)>>,
}

impl RecordingTransport {
    pub fn sent(&self) -> Vec<(String, Vec<SocketAddr>)> {
        self.sent.lock().unwrap().clone()
    }
}

impl Transport for RecordingTransport {
    fn send<'a>(
        &'a self,
        pinned: PinnedRequest,
        _config: &'a HttpConfig,
    ) -> BoxFuture<'a, Result<OutboundResponse, NetError>> {
        self.sent
            .lock()
            .unwrap()
            .push((pinned.url.to_string(), pinned.addrs.clone()));
        Box::pin(async {
            Ok(OutboundResponse {
                status: 200,
                headers: Default::default(),
                body: b"ok".to_vec(),
            })
        })
    }
}

pub fn config(allow: &[&str]) -> HttpConfig {
    HttpConfig {
        allowlist: Allowlist::parse(allow).unwrap(),
        ..HttpConfig::default()
    }
}

/// A client over the real reqwest transport with an injected resolver.
pub fn real_client(config: HttpConfig, resolver: Arc<TableResolver>) -> SafeClient {
    SafeClient::with_parts(config, resolver, Arc::new(ReqwestTransport::new()))
}

/// Serves `router` on 127.0.0.1 at a free port; returns the port.
pub async fn serve(router: axum::Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// A listener that counts the connections made to it and closes them.
pub struct Trap {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl Trap {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        Self { port, accepted }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

use AddressClass::*;

/// (address, class it is refused as, IPv6 form it hides in)
pub const REFUSED: &[(&str, AddressClass, Option<Embedding>)] = &[
    ("0.0.0.0", Unspecified, None),
    ("0.1.2.3", Unspecified, None),
    ("127.0.0.1", Loopback, None),
    ("127.255.255.254", Loopback, None),
    ("10.0.0.1", Private, None),
    ("172.16.0.1", Private, None),
    ("172.31.255.255", Private, None),
    ("192.168.1.1", Private, None),
    ("100.64.0.1", SharedNat, None),
    ("100.127.255.254", SharedNat, None),
    ("169.254.1.1", LinkLocal, None),
    ("169.254.169.254", CloudMetadata, None),
    ("169.254.170.2", CloudMetadata, None),
    ("100.100.100.200", CloudMetadata, None),
    ("168.63.129.16", CloudMetadata, None),
    ("192.0.0.192", CloudMetadata, None),
    ("224.0.0.1", Multicast, None),
    ("239.255.255.250", Multicast, None),
    ("255.255.255.255", Broadcast, None),
    ("240.0.0.1", Reserved, None),
    ("192.0.0.8", Reserved, None),
    ("192.0.2.1", Documentation, None),
    ("198.51.100.7", Documentation, None),
    ("203.0.113.9", Documentation, None),
    ("198.18.0.1", Benchmarking, None),
    ("::", Unspecified, None),
    ("::1", Loopback, None),
    ("fc00::1", UniqueLocal, None),
    ("fd12:3456::1", UniqueLocal, None),
    ("fd00:ec2::254", CloudMetadata, None),
    ("fd20:ce::254", CloudMetadata, None),
    ("fe80::1", LinkLocal, None),
    ("fec0::1", Private, None),
    ("ff02::1", Multicast, None),
    ("2001:db8::1", Documentation, None),
    ("3fff::1", Documentation, None),
    ("2001:2::1", Benchmarking, None),
    ("100::1", Reserved, None),
    ("::ffff:127.0.0.1", Loopback, Some(Embedding::Ipv4Mapped)),
    ("::ffff:10.1.2.3", Private, Some(Embedding::Ipv4Mapped)),
    (
        "::ffff:169.254.169.254",
        CloudMetadata,
        Some(Embedding::Ipv4Mapped),
    ),
    ("::ffff:100.64.0.1", SharedNat, Some(Embedding::Ipv4Mapped)),
    ("::127.0.0.1", Loopback, Some(Embedding::Ipv4Compatible)),
    ("::192.168.0.1", Private, Some(Embedding::Ipv4Compatible)),
    ("::8.8.8.8", Reserved, Some(Embedding::Ipv4Compatible)),
    (
        "::ffff:0:10.0.0.1",
        Private,
        Some(Embedding::Ipv4Translated),
    ),
    ("64:ff9b::7f00:1", Loopback, Some(Embedding::Nat64)),
    ("64:ff9b::a9fe:a9fe", CloudMetadata, Some(Embedding::Nat64)),
    ("64:ff9b:1::a00:1", Reserved, Some(Embedding::Nat64)),
    ("2002:c0a8:101::1", Private, Some(Embedding::SixToFour)),
    ("2002:7f00:1::", Loopback, Some(Embedding::SixToFour)),
    ("2001::1", Reserved, Some(Embedding::Teredo)),
];

/// `addr` as it stands in a URL (IPv6 in brackets).
pub fn url_host(addr: &str) -> String {
    match addr.parse::<IpAddr>().unwrap() {
        IpAddr::V4(_) => addr.to_owned(),
        IpAddr::V6(_) => format!("[{addr}]"),
    }
}

// ---- a real SMTP server (Python's aiosmtpd) ----------------------------------------------

use serde_json::Value;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The SMTP sink of `tests/python/smtp_sink.py`: one JSON line per message it receives.
pub struct Sink {
    pub port: u16,
    lines: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl Sink {
    pub async fn next_message(&mut self) -> Value {
        let line = self
            .lines
            .next_line()
            .await
            .unwrap()
            .expect("the SMTP sink stopped");
        serde_json::from_str(&line).unwrap()
    }
}

/// Starts the sink, or returns `None` (after saying so) when python3 is not installed.
pub async fn start_sink() -> Option<Sink> {
    let python = std::env::var("FORMWORK_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let present = std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("NOTICE: skipping the SMTP delivery test: {python} is not installed");
        return None;
    }
    let has_aiosmtpd = std::process::Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_aiosmtpd,
        "{python} lacks aiosmtpd: run `{python} -m pip install -r crates/formwork-jobs/tests/python/requirements.txt` \
         (scripts/test.sh does this in a venv)"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/smtp_sink.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next_line().await.unwrap().unwrap();
    let port = ready.strip_prefix("READY ").unwrap().parse().unwrap();
    Some(Sink {
        port,
        lines,
        _child: child,
    })
}
