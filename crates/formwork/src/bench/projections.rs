//! Typed projections in `formwork bench`: switched off while the dataset is copied in bulk,
//! rebuilt afterwards by the code publishing runs (timed), and the list lines that read them
//! — the first page sorted by amount, and substring searches (a two-character Chinese term
//! and a longer one) — beside the same pages hand-written over a typed table with the right
//! index, in the same run.

use std::time::{Duration, Instant};

use formwork_query::{Postgres, Projection, ProjectionDialect, ProjectionSpec, Sqlite};
use formwork_runtime::{Account, ListRequest, Runtime};
use formwork_store::{Column, FieldKey, RecordQuery, Store, ValueKind, Visibility};
use sqlx::AssertSqlSafe;

use super::raw::Pool;

const APP: &str = "project-registration";

/// The two-character term matches every record (the customer's 客户); the longer one about
/// one in a thousand.
const TERMS: [&str; 2] = ["客户", "客户 0042"];

async fn exec(raw: &Pool, sql: String) -> anyhow::Result<()> {
    match raw {
        Pool::Sqlite(p) => {
            sqlx::query(AssertSqlSafe(sql)).execute(p).await?;
        }
        Pool::Postgres(p) => {
            sqlx::query(AssertSqlSafe(sql)).execute(p).await?;
        }
    }
    Ok(())
}

async fn specs(raw: &Pool) -> anyhow::Result<Vec<ProjectionSpec>> {
    const SQL: &str = "SELECT spec FROM projections WHERE app_id = 'project-registration'";
    let texts: Vec<String> = match raw {
        Pool::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await?,
        Pool::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await?,
    };
    texts.iter().map(|t| Ok(serde_json::from_str(t)?)).collect()
}

fn dropped<D: ProjectionDialect>(spec: ProjectionSpec) -> Vec<String> {
    D::drop(&Projection::new::<D>(spec))
}

/// Drops the sample app's projections (tables, triggers, registry rows), so a bulk copy of
/// records does not maintain them row by row; [`rebuild`] builds them again.
pub(super) async fn off(raw: &Pool) -> anyhow::Result<()> {
    for spec in specs(raw).await? {
        let statements = match raw {
            Pool::Sqlite(_) => dropped::<Sqlite>(spec),
            Pool::Postgres(_) => dropped::<Postgres>(spec),
        };
        for s in statements {
            exec(raw, s).await?;
        }
    }
    exec(
        raw,
        format!("DELETE FROM projections WHERE app_id = '{APP}'"),
    )
    .await
}

/// Builds the sample app's projections from the records stored, as publishing does.
pub(super) async fn rebuild(runtime: &Runtime) -> anyhow::Result<()> {
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let built = runtime
        .build_projections(&app)
        .await
        .map_err(|e| anyhow::anyhow!("projections: {e}"))?;
    println!(
        "projections: {built} built from the stored records in {:.1} s (set-based, as at publish)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The typed table the list lines are compared with: the searched text (`keys`), the amount
/// (分 on SQLite, NUMERIC on PostgreSQL) and an index for the sort, plus a copy of the grams.
async fn typed_list_table(raw: &Pool, grams: &str, keys: &[String]) -> anyhow::Result<()> {
    let amount = match raw {
        Pool::Sqlite(_) => "CAST(replace(json_extract(data, '$.amount'), '.', '') AS INTEGER)",
        Pool::Postgres(_) => "CAST(data ->> 'amount' AS numeric)",
    };
    let text = |k: &str| match raw {
        Pool::Sqlite(_) => format!("json_extract(data, '$.{k}') AS {k}"),
        Pool::Postgres(_) => format!("data ->> '{k}' AS {k}"),
    };
    let statements = [
        "DROP TABLE IF EXISTS bench_list".to_owned(),
        "DROP TABLE IF EXISTS bench_grams".to_owned(),
        format!(
            "CREATE TABLE bench_list AS SELECT id, status, number, {}, \
             {amount} AS amount FROM records WHERE app_id = '{APP}' AND form_id = 'project' \
             AND deleted_at IS NULL AND status <> 'draft'",
            keys.iter().map(|k| text(k)).collect::<Vec<_>>().join(", ")
        ),
        "CREATE UNIQUE INDEX bench_list_id ON bench_list (id)".to_owned(),
        "CREATE INDEX bench_list_amount ON bench_list (amount, id)".to_owned(),
        format!("CREATE TABLE bench_grams AS SELECT gram, id FROM {grams}"),
        "CREATE UNIQUE INDEX bench_grams_pk ON bench_grams (gram, id)".to_owned(),
        "ANALYZE bench_list".to_owned(),
        "ANALYZE bench_grams".to_owned(),
    ];
    for s in statements {
        exec(raw, s).await?;
    }
    Ok(())
}

/// The hand-written pages, each with how many binds it takes: `$1` the `%term%` pattern,
/// `$2…` its grams.
fn typed_pages(raw: &Pool, term: &str, keys: &[String]) -> Vec<(String, usize)> {
    let like = match raw {
        Pool::Sqlite(_) => "LIKE",
        Pool::Postgres(_) => "ILIKE",
    };
    let cols = formwork_query::list::RECORD_COLUMNS
        .iter()
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let page = |inner: String| {
        format!("SELECT {cols} FROM ({inner}) t JOIN records r ON r.id = t.id ORDER BY t.id DESC")
    };
    let matches = std::iter::once("number")
        .chain(keys.iter().map(String::as_str))
        .map(|c| format!("{c} {like} $1"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let grams = formwork_query::projection::needle_grams(term);
    let in_grams = (0..grams.len())
        .map(|i| format!("id IN (SELECT id FROM bench_grams WHERE gram = ${})", i + 2))
        .collect::<Vec<_>>()
        .join(" AND ");
    vec![
        (
            page(format!(
                "SELECT id FROM bench_list WHERE ({matches}) \
                 ORDER BY id DESC LIMIT 21"
            )),
            1,
        ),
        (
            page(format!(
                "SELECT id FROM bench_list WHERE {in_grams} \
                 AND ({matches}) ORDER BY id DESC LIMIT 21"
            )),
            1 + grams.len(),
        ),
    ]
}

/// Runs a typed page and decodes each record's data as the store does (into JSON values).
async fn fetch(raw: &Pool, sql: &str, binds: &[String]) -> anyhow::Result<usize> {
    use sqlx::Row as _;
    type Data = sqlx::types::Json<serde_json::Value>;
    let sql = AssertSqlSafe(sql.to_owned());
    // The same statement and decoding on either pool (their row types differ).
    macro_rules! decoded {
        ($pool:expr) => {{
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(b.clone());
            }
            let rows = q.fetch_all($pool).await?;
            for r in &rows {
                r.try_get::<Data, _>("data")?;
            }
            rows.len()
        }};
    }
    Ok(match raw {
        Pool::Sqlite(p) => decoded!(p),
        Pool::Postgres(p) => decoded!(p),
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Runtime (permissions, form, page), the store's query alone, and the typed page.
fn line(what: &str, ours: Vec<Duration>, store: Vec<Duration>, typed: Vec<Duration>) {
    let (o, s, t) = (median(ours), median(store), median(typed));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |d: Duration| d.as_secs_f64() / t.as_secs_f64().max(1e-9);
    println!(
        "list {what:<26} {:>8.2} ms (store query {:>8.2} ms)   typed+index {:>8.2} ms   \
         ratio {:.2}× (store {:.2}×)",
        ms(o),
        ms(s),
        ms(t),
        ratio(o),
        ratio(s)
    );
}

/// The store's query of the director's first page: every live, submitted record, read at
/// the publish epoch `epoch` as a request's is.
fn store_query(
    sort: bool,
    search: Option<&str>,
    epoch: i64,
    keys: &[String],
) -> anyhow::Result<RecordQuery> {
    let text = |k: &str| FieldKey::parse(k).map_err(|e| anyhow::anyhow!("{e}"));
    let keys = keys
        .iter()
        .map(|k| text(k))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(RecordQuery {
        app_id: APP.parse()?,
        form_id: "project".parse()?,
        visibility: Visibility::All,
        filters: Vec::new(),
        search: search.map(|s| (s.to_owned(), keys)),
        sort: sort
            .then(|| {
                let key = text("amount").map(|key| Column::Data {
                    key,
                    kind: ValueKind::Number,
                });
                key.map(|c| (c, true))
            })
            .transpose()?,
        after: None,
        limit: 21,
        epoch: Some(epoch),
    })
}

/// The first page (20) sorted by amount, and the searches, for the director (who reads every
/// record), beside the typed pages; the floor of a search is the faster of a scan in id order
/// and a gram intersection.
pub(super) async fn list_lines(
    runtime: &Runtime,
    store: &std::sync::Arc<dyn Store>,
    raw: &Pool,
    director: &Account,
    ops: usize,
) -> anyhow::Result<()> {
    let Some(spec) = specs(raw)
        .await?
        .into_iter()
        .find(|s| s.form_id == "project")
    else {
        anyhow::bail!("the sample form has no projection");
    };
    // What a search reads: every text field, as the runtime's list searches for the director.
    let keys: Vec<String> = spec
        .fields
        .iter()
        .filter(|f| f.search)
        .map(|f| f.key.clone())
        .collect();
    typed_list_table(raw, &Projection::new::<Sqlite>(spec).grams, &keys).await?;
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    // As a signed-in request has it: the epochs its session was read with, so the app and
    // the projection the server holds serve it without reading them again.
    let (_, publish) = store.latest_version_at_epoch(&app).await?;
    let epochs = formwork_store::Epochs {
        directory: store.directory_epoch().await?,
        publish,
    };
    let mut caller = runtime
        .caller(director.clone())
        .await
        .map_err(|e| anyhow::anyhow!("caller: {e}"))?;
    caller.epochs = Some(epochs);
    let form = "project".parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let runs = ops.clamp(5, 25);
    let list = |request: ListRequest| {
        let (caller, app, form) = (&caller, &app, &form);
        async move {
            runtime
                .list_records(caller, app, form, &request)
                .await
                .map_err(|e| anyhow::anyhow!("list: {e}"))
        }
    };
    let sorted = format!(
        "SELECT {} FROM (SELECT id, amount FROM bench_list \
         ORDER BY amount DESC, id DESC LIMIT 21) t JOIN records r ON r.id = t.id \
         ORDER BY t.amount DESC, t.id DESC",
        formwork_query::list::RECORD_COLUMNS
            .iter()
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (mut ours, mut bare, mut typed) = (Vec::new(), Vec::new(), Vec::new());
    let q = store_query(true, None, publish, &keys)?;
    for _ in 0..runs {
        let t = Instant::now();
        list(ListRequest {
            sort: Some("-amount".into()),
            limit: Some(20),
            ..ListRequest::default()
        })
        .await?;
        ours.push(t.elapsed());
        let t = Instant::now();
        store.list_records(&q).await?;
        bare.push(t.elapsed());
        let t = Instant::now();
        fetch(raw, &sorted, &[]).await?;
        typed.push(t.elapsed());
    }
    line("sorted by amount", ours, bare, typed);
    for term in TERMS {
        let mut binds = vec![formwork_query::list::contains_pattern(term)];
        binds.extend(formwork_query::projection::needle_grams(
            &term.to_lowercase(),
        ));
        let pages = typed_pages(raw, term, &keys);
        let (mut ours, mut bare, mut typed) = (Vec::new(), Vec::new(), Vec::new());
        let q = store_query(false, Some(term), publish, &keys)?;
        let mut found = 0;
        for _ in 0..runs {
            let t = Instant::now();
            store.list_records(&q).await?;
            bare.push(t.elapsed());
            let t = Instant::now();
            found = list(ListRequest {
                search: Some(term.into()),
                limit: Some(20),
                ..ListRequest::default()
            })
            .await?
            .records
            .len();
            ours.push(t.elapsed());
            let mut best = Duration::MAX;
            for (p, n) in &pages {
                let t = Instant::now();
                fetch(raw, p, &binds[..*n]).await?;
                best = best.min(t.elapsed());
            }
            typed.push(best);
        }
        line(
            &format!("search \"{term}\" ({found} rows)"),
            ours,
            bare,
            typed,
        );
    }
    Ok(())
}
