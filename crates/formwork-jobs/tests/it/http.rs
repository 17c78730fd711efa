//! The real transport against servers on 127.0.0.1 (reached only through the allowlist):
//! pinning to the checked address, redirects reported and not followed, timeouts, the size cap.

use std::net::IpAddr;
use std::time::Duration;

use crate::common::{REFUSED, TableResolver, Trap, config, real_client, serve, url_host};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use formwork_jobs::net::{NetError, OutboundRequest};

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

#[tokio::test]
async fn an_allowlisted_name_is_reached_at_its_checked_address_only() {
    let router = Router::new().route(
        "/echo",
        post(|headers: HeaderMap, body: String| async move {
            let host = headers[header::HOST].to_str().unwrap().to_owned();
            format!("{host} {body}")
        }),
    );
    let port = serve(router).await;
    // `receiver.test` exists only in the injected resolver: the request can reach the server
    // only through the pinned address.
    let resolver = TableResolver::new([("receiver.test", vec![loopback()])]);
    let client = real_client(config(&["receiver.test"]), resolver.clone());
    let response = client
        .send(OutboundRequest::post_json(
            format!("http://receiver.test:{port}/echo"),
            b"{\"a\":1}".to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        format!("receiver.test:{port} {{\"a\":1}}")
    );
    assert_eq!(resolver.asked(), ["receiver.test"]);
}

#[tokio::test]
async fn loopback_without_an_allowlist_entry_gets_no_connection() {
    let trap = Trap::start().await;
    let resolver = TableResolver::new([("sneaky.example.com", vec![loopback()])]);
    let client = real_client(config(&["127.0.0.1:1"]), resolver);
    for url in [
        format!("http://127.0.0.1:{}/", trap.port),
        format!("http://sneaky.example.com:{}/", trap.port),
        format!("http://[::ffff:127.0.0.1]:{}/", trap.port),
    ] {
        let err = client
            .send(OutboundRequest::post_json(url.clone(), Vec::new()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "address_refused", "{url}");
    }
    assert_eq!(trap.connections(), 0);
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_reported_and_never_followed() {
    let trap = Trap::start().await;
    // Every refused class as a literal, loopback on a port that counts connections, and a
    // name that resolves to loopback.
    let mut targets: Vec<String> = REFUSED
        .iter()
        .map(|(addr, ..)| format!("http://{}/latest/meta-data/", url_host(addr)))
        .collect();
    targets.push(format!("http://127.0.0.1:{}/admin", trap.port));
    targets.push(format!("http://[::ffff:127.0.0.1]:{}/", trap.port));
    targets.push(format!("http://internal.example.com:{}/", trap.port));
    let router = Router::new().route(
        "/go/{n}",
        get(
            |axum::extract::Path(n): axum::extract::Path<usize>,
             axum::extract::State(targets): axum::extract::State<Vec<String>>| async move {
                (StatusCode::FOUND, [(header::LOCATION, targets[n].clone())]).into_response()
            },
        ),
    );
    let port = serve(router.with_state(targets.clone())).await;
    let resolver = TableResolver::new([
        ("hooks.test", vec![loopback()]),
        ("internal.example.com", vec![loopback()]),
    ]);
    let client = real_client(config(&[&format!("hooks.test:{port}")]), resolver.clone());
    for (n, target) in targets.iter().enumerate() {
        let mut request =
            OutboundRequest::post_json(format!("http://hooks.test:{port}/go/{n}"), Vec::new());
        request.method = reqwest::Method::GET;
        match client.send(request).await {
            Err(NetError::Redirect {
                status: 302,
                location: Some(location),
            }) => assert_eq!(&location, target),
            other => panic!("{target}: {other:?}"),
        }
    }
    assert_eq!(trap.connections(), 0, "a redirect target was contacted");
    assert!(
        resolver.asked().iter().all(|h| h == "hooks.test"),
        "a redirect target was resolved: {:?}",
        resolver.asked()
    );
    let err = NetError::Redirect {
        status: 302,
        location: Some("http://10.0.0.1/".into()),
    };
    assert!(!err.is_retryable());
    assert_eq!(
        err.message("zh-CN"),
        "对方返回 302 跳转到 http://10.0.0.1/，出于安全考虑不跟随跳转"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_may_be_retried() {
    // Accepts connections and holds them open without a byte of response.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = config(&["127.0.0.1"]);
    config.timeout = Duration::from_millis(300);
    let client = real_client(config, TableResolver::new([]));
    let err = client
        .send(OutboundRequest::post_json(
            format!("http://127.0.0.1:{port}/"),
            Vec::new(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err, NetError::Timeout);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn responses_past_the_size_cap_are_cut_off() {
    let chunk = "x".repeat(64 * 1024);
    let router = Router::new()
        .route(
            "/sized",
            get({
                let chunk = chunk.clone();
                move || async move { chunk }
            }),
        )
        .route(
            "/huge",
            get({
                let huge = chunk.repeat(3);
                move || async move { huge }
            }),
        )
        .route(
            "/streamed",
            get({
                let chunk = chunk.clone();
                move || async move {
                    let chunks = (0..4).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                }
            }),
        );
    let port = serve(router).await;
    let mut config = config(&["127.0.0.1"]);
    config.max_response_bytes = 100 * 1024;
    let client = real_client(config, TableResolver::new([]));
    let get = |path: &str| {
        let mut request =
            OutboundRequest::post_json(format!("http://127.0.0.1:{port}{path}"), Vec::new());
        request.method = reqwest::Method::GET;
        client.send(request)
    };
    assert_eq!(get("/sized").await.unwrap().body.len(), 64 * 1024);
    for path in ["/huge", "/streamed"] {
        let err = get(path).await.unwrap_err();
        assert_eq!(err, NetError::TooLarge { limit: 100 * 1024 }, "{path}");
        assert!(!err.is_retryable());
    }
}
