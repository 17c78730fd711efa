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

#[tokio::test]
async fn cli_import_publish_export_round_trips_byte_identically_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.unwrap() else {
            continue;
        };
        let url = db.url().to_owned();
        let dir = tempdir();
        let sample = repo_file("apps/project-registration.json");
        let out = formwork(
            &url,
            &["app", "import", sample.to_str().unwrap(), "--publish"],
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
    let second = run();
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stdout2 = text(&second.stdout);
    assert!(stdout2.contains("reusing"), "{stdout2}");
    assert!(!stdout2.contains("published as version"), "{stdout2}");
    assert!(stdout2.contains(&format!("demo password: {password}")));
    std::fs::remove_dir_all(dir).unwrap();
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
