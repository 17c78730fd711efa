//! The `formwork` binary as a person runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

use formwork_testkit::{Backend, TestDb};

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn formwork(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("FORMWORK_LOG", "warn")
        .output()
        .expect("run formwork")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_prints_every_fault_with_its_pointer_and_exits_non_zero() {
    let fixture = repo_file("tests/fixtures/faulty-package.json");
    let out = formwork(
        "sqlite://unused.db",
        &["app", "validate", fixture.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    for code in [
        "duplicate_id",
        "unknown_field",
        "invalid_form_schema",
        "no_start",
        "unreachable_node",
        "cannot_reach_end",
        "condition_without_default",
        "join_without_split",
        "cycle_without_human_step",
        "unknown_variable",
    ] {
        assert!(
            stderr.contains(&format!("[{code}]")),
            "{code} missing from:\n{stderr}"
        );
    }
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with('/') || l.contains("problem(s)")),
        "every fault line starts with its JSON pointer:\n{stderr}"
    );
}

#[test]
fn the_sample_package_validates_clean() {
    let sample = repo_file("apps/project-registration.json");
    let out = formwork(
        "sqlite://unused.db",
        &["app", "validate", sample.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn openapi_prints_the_served_document_without_a_database() {
    let dir = tempdir();
    let database = dir.join("never-created.db");
    let url = format!("sqlite://{}", database.display());
    let out = formwork(&url, &["openapi"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        printed,
        serde_json::to_value(formwork_web::openapi()).unwrap()
    );
    assert!(printed["paths"].get("/api/v1/session").is_some());
    assert!(!database.exists(), "no database is opened");
    let again = formwork(&url, &["openapi"]);
    assert_eq!(again.stdout, out.stdout, "the output is stable");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn openapi_read_only_in_part_ends_cleanly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .arg("openapi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // What `| head -c 16` does: read a little, then close the pipe.
    let mut start = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut start).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn cli_import_publish_export_round_trips_byte_identically_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.unwrap() else {
            continue;
        };
        let url = db.url().to_owned();
        let dir = tempdir();
        let sample = repo_file("apps/project-registration.json");
        // A fresh database has none of the people the sample's flow test cases name, so the
        // cases fail and publishing is refused, naming each case, as in the designer.
        let out = formwork(
            &url,
            &["app", "import", sample.to_str().unwrap(), "--publish"],
        );
        assert!(!out.status.success(), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("[flow_test_failed] 测试用例「49,999.99 元 · 华东」未通过"),
            "{stderr}"
        );
        assert!(
            stderr.contains("个流程测试用例未通过") && stderr.contains("--override-flow-tests"),
            "{stderr}"
        );
        let out = formwork(&url, &["app", "publish", "project-registration"]);
        assert!(!out.status.success(), "the draft stays unpublished");
        let out = formwork(
            &url,
            &[
                "app",
                "publish",
                "project-registration",
                "--override-flow-tests",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("version 1"));

        let first = dir.join("v1.json");
        let out = formwork(
            &url,
            &[
                "app",
                "export",
                "project-registration",
                "-o",
                first.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = formwork(
            &url,
            &[
                "app",
                "import",
                first.to_str().unwrap(),
                "--replace",
                "--publish",
                "--override-flow-tests",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("version 2"));
        let second = formwork(
            &url,
            &["app", "export", "project-registration", "--version", "2"],
        );
        assert_eq!(std::fs::read(&first).unwrap(), second.stdout);
        std::fs::remove_dir_all(dir).unwrap();
        db.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn demo_without_serving_sets_up_users_and_reuses_them_on_a_second_run() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap().unwrap();
    let dir = tempdir();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_formwork"))
            .args(["demo", "--no-serve"])
            .current_dir(&dir)
            .env("DATABASE_URL", db.url())
            .env("FORMWORK_LOG", "warn")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.contains("published as version 1"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("demo password: "))
        .unwrap()
        .to_owned();
    assert!(
        stdout.contains("no SMTP server configured (FORMWORK_SMTP_URL)"),
        "demo says where mail goes: {stdout}"
    );
    let second = run();
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stdout2 = text(&second.stdout);
    assert!(stdout2.contains("reusing"), "{stdout2}");
    assert!(!stdout2.contains("published as version"), "{stdout2}");
    assert!(stdout2.contains(&format!("demo password: {password}")));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn logs_written_to_a_file_carry_no_colour_codes() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["migrate"])
        .env("DATABASE_URL", db.url())
        .env("FORMWORK_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    assert!(!log.is_empty(), "debug logging writes something");
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI escapes in a piped log: {log}"
    );
}

#[tokio::test]
async fn user_and_token_commands_create_a_working_account() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap().unwrap();
    let out = formwork(db.url(), &["user", "add", "ops", "--admin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("password: "));
    let dup = formwork(db.url(), &["user", "add", "ops"]);
    assert!(!dup.status.success());
    let token = formwork(db.url(), &["token", "create", "ops", "--name", "ci"]);
    assert!(token.status.success(), "{}", text(&token.stderr));
    assert!(text(&token.stdout).trim().starts_with("fwk_"));
    let bad = formwork(db.url(), &["user", "add", "Not Valid"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("/username"),
        "{}",
        text(&bad.stderr)
    );
}

#[tokio::test]
async fn jobs_are_listed_retried_and_discarded_and_a_years_holidays_imported_from_the_command_line()
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.unwrap() else {
            continue;
        };
        let store = db.store().await.unwrap();
        let mut job = formwork_store::NewJob::new("deliver.webhook", serde_json::json!({}));
        job.event_id = Some("cli-event-1".into());
        store.enqueue_job(job).await.unwrap();
        let claim = formwork_store::Claim {
            owner: "cli-test".into(),
            now: time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
            lease: time::Duration::minutes(1),
            limit: 1,
        };
        let claimed = store.claim_jobs(&claim).await.unwrap().pop().unwrap();
        let dead = formwork_store::JobFinish::Dead {
            code: "http_status".into(),
            error: "HTTP 410 Gone".into(),
        };
        store
            .finish_job(
                &claimed.lease(),
                dead,
                None,
                time::OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
        let id = claimed.id.as_str();
        let list = formwork(db.url(), &["jobs", "list", "--state", "dead"]);
        assert!(list.status.success(), "{}", text(&list.stderr));
        let listed = text(&list.stdout);
        assert!(
            listed.contains(id)
                && listed.contains("cli-event-1")
                && listed.contains("HTTP 410 Gone"),
            "{listed}"
        );
        let retried = formwork(db.url(), &["jobs", "retry", id]);
        assert!(
            text(&retried.stdout).contains("pending again"),
            "{}",
            text(&retried.stderr)
        );
        let discarded = formwork(db.url(), &["jobs", "discard", id]);
        assert!(
            text(&discarded.stdout).contains("discarded"),
            "{}",
            text(&discarded.stderr)
        );
        let again = formwork(db.url(), &["jobs", "discard", id]);
        assert!(!again.status.success());
        let bad_state = formwork(db.url(), &["jobs", "list", "--state", "finished"]);
        assert!(!bad_state.status.success());

        let dir = tempdir();
        let good = dir.join("2027.csv");
        std::fs::write(
            &good,
            "2027-01-01,holiday,元旦\n2027-02-20,上班,春节调休上班\n",
        )
        .unwrap();
        let imported = formwork(
            db.url(),
            &[
                "calendar",
                "import",
                good.to_str().unwrap(),
                "--year",
                "2027",
            ],
        );
        assert!(imported.status.success(), "{}", text(&imported.stderr));
        assert!(text(&imported.stdout).contains("calendar 2027: 2 special days saved"));
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "2027-01-01,holiday,元旦\n2026-12-31,holiday,错年\n").unwrap();
        let refused = formwork(
            db.url(),
            &[
                "calendar",
                "import",
                bad.to_str().unwrap(),
                "--year",
                "2027",
            ],
        );
        assert!(!refused.status.success());
        assert!(
            text(&refused.stderr).contains("第 2 行"),
            "{}",
            text(&refused.stderr)
        );
        let shown = formwork(db.url(), &["calendar", "show"]);
        assert!(text(&shown.stdout).contains("春节调休上班"));
        std::fs::remove_dir_all(dir).unwrap();
        drop(store);
        db.cleanup().await.unwrap();
    }
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("formwork-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos}-{}", std::process::id())
}
