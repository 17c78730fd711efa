//! The SSRF table: every internal address class, as a literal IP in the URL and as a name that
//! resolves to it, is refused before anything is sent. The transport here records instead of
//! connecting, so the tests prove that a refused request never reaches it.

use std::net::IpAddr;
use std::sync::Arc;

use crate::common::{REFUSED, RecordingTransport, TableResolver, config, url_host};
use formwork_jobs::net::{
    AddressClass, Embedding, NetError, OutboundRequest, SafeClient, classify,
};

use AddressClass::*;

/// Public addresses, including the IPv6 forms of public IPv4 addresses.
const ALLOWED: &[&str] = &[
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",
    "100.128.0.1",
    "172.32.0.1",
    "169.253.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn client(resolver: Arc<TableResolver>, allow: &[&str]) -> (SafeClient, Arc<RecordingTransport>) {
    let transport = Arc::new(RecordingTransport::default());
    let client = SafeClient::with_parts(config(allow), resolver, transport.clone());
    (client, transport)
}

fn assert_refused(
    result: Result<impl std::fmt::Debug, NetError>,
    addr: &str,
    class: AddressClass,
    via: Option<Embedding>,
) {
    match result {
        Err(NetError::Refused {
            addr: a,
            class: c,
            via: v,
            ..
        }) => {
            assert_eq!(a, ip(addr), "{addr}");
            assert_eq!((c, v), (class, via), "{addr}");
        }
        other => panic!("{addr} was not refused: {other:?}"),
    }
}

#[test]
fn the_classifier_knows_every_class() {
    for &(addr, class, via) in REFUSED {
        let refusal = classify(ip(addr)).unwrap_or_else(|| panic!("{addr} allowed"));
        assert_eq!((refusal.class, refusal.via), (class, via), "{addr}");
    }
    for addr in ALLOWED {
        assert_eq!(classify(ip(addr)), None, "{addr}");
    }
}

#[tokio::test]
async fn literal_addresses_of_every_class_are_refused_before_any_connection() {
    let resolver = TableResolver::new([]);
    let (client, transport) = client(resolver.clone(), &[]);
    for &(addr, class, via) in REFUSED {
        let url = format!("http://{}:8080/hook", url_host(addr));
        let result = client
            .send(OutboundRequest::post_json(url, b"{}".to_vec()))
            .await;
        assert_refused(result, addr, class, via);
    }
    assert!(transport.sent().is_empty(), "{:?}", transport.sent());
    assert!(resolver.asked().is_empty(), "literals are not resolved");
}

#[tokio::test]
async fn names_resolving_to_any_refused_address_are_refused_after_one_lookup() {
    let names: Vec<(String, &str)> = REFUSED
        .iter()
        .enumerate()
        .map(|(i, (addr, ..))| (format!("host{i}.example.com"), *addr))
        .collect();
    let resolver = TableResolver::new(names.iter().map(|(n, a)| (n.as_str(), vec![ip(a)])));
    let (client, transport) = client(resolver.clone(), &[]);
    for ((name, addr), &(_, class, via)) in names.iter().zip(REFUSED) {
        let result = client
            .send(OutboundRequest::post_json(
                format!("https://{name}/x"),
                Vec::new(),
            ))
            .await;
        assert_refused(result, addr, class, via);
    }
    assert!(transport.sent().is_empty());
    let asked: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(resolver.asked(), asked, "each name resolved exactly once");
}

#[tokio::test]
async fn a_name_with_one_internal_address_among_public_ones_is_refused() {
    let resolver = TableResolver::new([(
        "mixed.example.com",
        vec![ip("93.184.216.34"), ip("10.0.0.5"), ip("2606:4700::1")],
    )]);
    let (client, transport) = client(resolver, &[]);
    let result = client
        .send(OutboundRequest::post_json(
            "https://mixed.example.com/",
            Vec::new(),
        ))
        .await;
    assert_refused(result, "10.0.0.5", Private, None);
    assert!(transport.sent().is_empty());
}

#[tokio::test]
async fn unusual_spellings_of_loopback_are_refused() {
    let resolver = TableResolver::new([
        ("localhost", vec![ip("127.0.0.1"), ip("::1")]),
        ("localhost.", vec![ip("127.0.0.1")]),
    ]);
    let (client, transport) = client(resolver, &[]);
    for url in [
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://localhost/",
        "http://LOCALHOST./",
    ] {
        let result = client
            .send(OutboundRequest::post_json(url, Vec::new()))
            .await;
        match result {
            Err(NetError::Refused {
                class: Loopback, ..
            }) => {}
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(transport.sent().is_empty());
}

#[tokio::test]
async fn public_addresses_are_sent_pinned_to_the_checked_address() {
    let resolver = TableResolver::new([("api.example.com", vec![ip("93.184.216.34")])]);
    let (client, transport) = client(resolver.clone(), &[]);
    for addr in ALLOWED {
        let url = format!("https://{}/x", url_host(addr));
        client
            .send(OutboundRequest::post_json(url, Vec::new()))
            .await
            .unwrap();
    }
    client
        .send(OutboundRequest::post_json(
            "https://api.example.com:8443/x",
            Vec::new(),
        ))
        .await
        .unwrap();
    let sent = transport.sent();
    assert_eq!(sent.len(), ALLOWED.len() + 1);
    for ((_, addrs), addr) in sent.iter().zip(ALLOWED) {
        assert_eq!(addrs.len(), 1);
        assert_eq!(addrs[0].ip(), ip(addr));
        assert_eq!(addrs[0].port(), 443);
    }
    let (url, addrs) = &sent[ALLOWED.len()];
    assert_eq!(url, "https://api.example.com:8443/x");
    assert_eq!(addrs, &vec!["93.184.216.34:8443".parse().unwrap()]);
    assert_eq!(resolver.asked(), ["api.example.com"]);
}

#[tokio::test]
async fn the_allowlist_opens_named_hosts_only_and_never_metadata() {
    let resolver = TableResolver::new([
        ("erp.internal", vec![ip("10.1.2.3")]),
        ("other.internal", vec![ip("10.1.2.4")]),
        ("meta.internal", vec![ip("169.254.169.254")]),
    ]);
    let allow = [
        "erp.internal:8443",
        "127.0.0.1",
        "meta.internal",
        "[::1]:9000",
    ];
    let (client, transport) = client(resolver, &allow);
    let send = |url: &str| client.send(OutboundRequest::post_json(url, Vec::new()));
    send("https://erp.internal:8443/api").await.unwrap();
    send("http://127.0.0.1:1234/").await.unwrap();
    send("http://[::1]:9000/").await.unwrap();
    assert_refused(
        send("https://erp.internal/api").await,
        "10.1.2.3",
        Private,
        None,
    );
    assert_refused(
        send("https://other.internal:8443/").await,
        "10.1.2.4",
        Private,
        None,
    );
    assert_refused(send("http://[::1]:9001/").await, "::1", Loopback, None);
    assert_refused(send("http://127.0.0.2/").await, "127.0.0.2", Loopback, None);
    assert_refused(
        send("http://meta.internal/latest").await,
        "169.254.169.254",
        CloudMetadata,
        None,
    );
    assert_eq!(transport.sent().len(), 3);
}

#[tokio::test]
async fn other_schemes_bad_urls_and_unknown_names_are_reported() {
    let resolver = TableResolver::new([("empty.example.com", vec![])]);
    let (client, transport) = client(resolver, &[]);
    let send = |url: &str| client.send(OutboundRequest::post_json(url, Vec::new()));
    for (url, code, retryable) in [
        ("file:///etc/passwd", "unsupported_scheme", false),
        ("gopher://example.com/", "unsupported_scheme", false),
        ("not a url", "invalid_url", false),
        ("https://nowhere.example.com/", "resolve_failed", true),
        ("https://empty.example.com/", "no_address", true),
    ] {
        let err = send(url).await.unwrap_err();
        assert_eq!((err.code(), err.is_retryable()), (code, retryable), "{url}");
    }
    assert!(transport.sent().is_empty());
}

#[tokio::test]
async fn refusals_explain_themselves_in_both_languages() {
    let resolver = TableResolver::new([("hook.example.com", vec![ip("::ffff:169.254.169.254")])]);
    let (client, _) = client(resolver, &[]);
    let err = client
        .send(OutboundRequest::post_json(
            "https://hook.example.com/",
            Vec::new(),
        ))
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(
        err.message("en"),
        "hook.example.com is refused: ::ffff:169.254.169.254 is a cloud metadata service (as IPv4-mapped IPv6)"
    );
    assert_eq!(
        err.message("zh-CN"),
        "已拒绝访问 hook.example.com：::ffff:169.254.169.254 是云服务器元数据地址（IPv4 映射的 IPv6 地址）。如需访问内部系统，请管理员将其加入允许列表"
    );
}

#[test]
fn allowlist_entries_are_checked() {
    use formwork_jobs::net::Allowlist;
    for bad in ["host:port", "a b", "[::1", "host:99999"] {
        let err = Allowlist::parse(&[bad]).unwrap_err();
        assert_eq!(err.code(), "bad_allowlist_entry", "{bad}");
    }
    let list = Allowlist::parse(&["ERP.Internal.", " ", "[0:0::1]:80", "::1"]).unwrap();
    assert!(list.permits("erp.internal", 1));
    assert!(list.permits("[::1]", 80));
    assert!(list.permits("::1", 81), "bare ::1 allows any port");
}

#[test]
fn headers_that_cannot_be_sent_are_refused_not_panicked_on() {
    let request = OutboundRequest::post_json("https://example.com/", Vec::new());
    let ok = request
        .clone()
        .header("X-Formwork-Event-Id", "abc")
        .unwrap();
    assert_eq!(ok.headers["x-formwork-event-id"], "abc");
    for (name, value) in [("X Bad", "v"), ("x-ok", "line\nbreak")] {
        let err = request.clone().header(name, value).unwrap_err();
        assert_eq!(err.code(), "invalid_request", "{name}");
    }
}
