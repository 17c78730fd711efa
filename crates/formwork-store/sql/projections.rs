//! Typed projections: built set-based in one write transaction (the DDL of
//! `formwork_query::projection_ddl`), registered in `projections`, and looked up by the list
//! and report queries, which read them when they hold all a query needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use formwork_query::{Projection, ProjectionDialect as _, ProjectionSpec};
use formwork_store::{StoreError, StoreResult};
use sqlx::AssertSqlSafe;

use super::Dialect;
use super::{Driver as _, begin, commit, db_err, now, ts};
use crate::StoreImpl;

/// Below this many records a search gram is read as the candidate set; above, each row
/// walked in list order probes its grams.
const RARE: i64 = 2000;

/// An (app, form) pair.
type FormKey = (String, String);

/// A form's projection (or that it has none) and the publish epoch it was read at.
type Remembered = (i64, Option<Projection>);

/// How long a gram's count serves searches. The gram a search starts from decides only how
/// fast it runs, never what it finds, so a count some writes old serves as well; counting
/// anew cost up to 0.3 ms per gram of every search (2,000 index entries of a common gram).
const GRAM_COUNT_TTL: Duration = Duration::from_secs(60);

/// Most gram counts held; the whole set is dropped when full.
const GRAM_COUNTS_HELD: usize = 4096;

/// The newest records a gram is rated on for a walk: a page listed newest first reads
/// among them, and every common gram counts alike against [`RARE`].
const WALK_WINDOW: i64 = 20_000;

/// Which count of a gram: among all records (up to [`RARE`]) or the newest [`WALK_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counted {
    All,
    Newest,
}

#[derive(Debug, Default)]
struct Held {
    /// Each form's projection with the publish epoch it was read at.
    forms: HashMap<FormKey, Remembered>,
    /// (projection table, gram, which count) → the count and when it was read.
    grams: HashMap<(String, String, Counted), (i64, Instant)>,
}

/// Each form's projection (or that it has none) with the publish epoch it was read at, and
/// recent counts of search grams. Every build moves the epoch after its commit, so an entry
/// of the caller's epoch is current.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectionCache(Arc<Mutex<Held>>);

impl ProjectionCache {
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &FormKey, epoch: i64) -> Option<Option<Projection>> {
        self.held()
            .forms
            .get(key)
            .filter(|(at, _)| *at == epoch)
            .map(|(_, p)| p.clone())
    }

    fn put(&self, key: FormKey, epoch: i64, p: Option<Projection>) {
        self.held().forms.insert(key, (epoch, p));
    }

    fn gram_count(&self, table: &str, gram: &str, counted: Counted) -> Option<i64> {
        let key = (table.to_owned(), gram.to_owned(), counted);
        self.held()
            .grams
            .get(&key)
            .filter(|(_, at)| at.elapsed() < GRAM_COUNT_TTL)
            .map(|(n, _)| *n)
    }

    fn put_gram_count(&self, table: &str, gram: &str, counted: Counted, n: i64) {
        let mut held = self.held();
        if held.grams.len() >= GRAM_COUNTS_HELD {
            held.grams.clear();
        }
        let key = (table.to_owned(), gram.to_owned(), counted);
        held.grams.insert(key, (n, Instant::now()));
    }
}

impl StoreImpl {
    /// The projection of a form, if one is built.
    pub(crate) async fn projection_of(
        &self,
        app_id: &str,
        form_id: &str,
    ) -> StoreResult<Option<Projection>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT spec, signature FROM projections WHERE app_id = $1 AND form_id = $2",
        )
        .bind(app_id)
        .bind(form_id)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err("projection"))?;
        let Some((spec, signature)) = row else {
            return Ok(None);
        };
        let spec: ProjectionSpec = serde_json::from_str(&spec)
            .map_err(|e| StoreError::Backend(format!("projection spec: {e}")))?;
        let p = Projection::new::<Dialect>(spec);
        // Built by an older Formwork (another shape): the JSON serves until the next publish
        // rebuilds it.
        Ok((p.signature() == signature).then_some(p))
    }

    /// The projection of the list `query`'s form, with the gram its search starts from.
    pub(crate) async fn list_projection(
        &self,
        query: &formwork_store::RecordQuery,
    ) -> StoreResult<Option<Projection>> {
        let key = (query.app_id.to_string(), query.form_id.to_string());
        let cached = query
            .epoch
            .and_then(|epoch| self.projection_cache().get(&key, epoch));
        let found = match cached {
            Some(p) => p,
            None => {
                let p = self.projection_of(&key.0, &key.1).await?;
                if let Some(epoch) = query.epoch {
                    self.projection_cache().put(key, epoch, p.clone());
                }
                p
            }
        };
        let Some(mut p) = found else {
            return Ok(None);
        };
        if let Some((needle, _)) = &query.search {
            let grams = formwork_query::projection::needle_grams(needle.trim());
            let mut rare: Option<(i64, &String)> = None;
            for gram in &grams {
                let n = self.gram_count(&p, gram).await?;
                if n < RARE && rare.is_none_or(|(m, _)| n < m) {
                    rare = Some((n, gram));
                }
            }
            p.drive = rare.map(|(_, g)| g.clone());
            if Dialect::GRAM_WALK && !self.holds_long_texts(&p).await? {
                p.walk = self.walked_gram(&p, &grams).await?;
            }
        }
        Ok(Some(p))
    }

    /// The gram fewest of the newest [`WALK_WINDOW`] records hold; `None` when half of them
    /// hold it, as the list walked in order then finds its page as soon (measured at 1M
    /// records for 客户, which every record holds: 0.3–0.8 ms walking the gram, 0.07 the list).
    async fn walked_gram(&self, p: &Projection, grams: &[String]) -> StoreResult<Option<String>> {
        let cache = self.projection_cache();
        let mut since: Option<String> = None;
        let mut best: Option<(i64, &String)> = None;
        for gram in grams {
            let n = match cache.gram_count(&p.table, gram, Counted::Newest) {
                Some(n) => n,
                None => {
                    if since.is_none() {
                        since = Some(self.window_start(p).await?);
                    }
                    let sql = format!(
                        "SELECT COUNT(*) FROM {} WHERE gram = lower($1) AND id >= $2",
                        p.grams
                    );
                    let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                        .bind(gram)
                        .bind(since.as_deref())
                        .fetch_one(self.reader())
                        .await
                        .map_err(db_err("gram count"))?;
                    cache.put_gram_count(&p.table, gram, Counted::Newest, n);
                    n
                }
            };
            if best.is_none_or(|(m, _)| n < m) {
                best = Some((n, gram));
            }
        }
        Ok(best
            .filter(|(n, _)| *n < WALK_WINDOW / 2)
            .map(|(_, g)| g.clone()))
    }

    /// Whether a record's text was too long for grams (it holds only the empty one, which a
    /// walk would miss). Asked anew each time, not held: one probe of the key.
    async fn holds_long_texts(&self, p: &Projection) -> StoreResult<bool> {
        let sql = format!("SELECT 1 FROM {} WHERE gram = '' LIMIT 1", p.grams);
        let found: Option<i32> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_optional(self.reader())
            .await
            .map_err(db_err("gram count"))?;
        Ok(found.is_some())
    }

    /// The id of the [`WALK_WINDOW`]th newest record of `p` (or the empty text when it has
    /// fewer, so every record counts).
    async fn window_start(&self, p: &Projection) -> StoreResult<String> {
        let sql = format!(
            "SELECT id FROM {} ORDER BY id DESC LIMIT 1 OFFSET {}",
            p.table,
            WALK_WINDOW - 1
        );
        let id: Option<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_optional(self.reader())
            .await
            .map_err(db_err("gram count"))?;
        Ok(id.unwrap_or_default())
    }

    /// How many records hold `gram`, up to [`RARE`]: counted by reading at most that many
    /// entries of its index range (SQLite) or rated by the planner (PostgreSQL), each count
    /// held for [`GRAM_COUNT_TTL`].
    async fn gram_count(&self, p: &Projection, gram: &str) -> StoreResult<i64> {
        let cache = self.projection_cache();
        if let Some(n) = cache.gram_count(&p.table, gram, Counted::All) {
            return Ok(n);
        }
        let n: i64 = match Dialect::gram_estimate(p) {
            Some(explain) => self.planned_rows(&explain, gram).await?,
            None => {
                let sql = format!(
                    "SELECT COUNT(*) FROM ({} LIMIT {RARE}) AS g",
                    Dialect::gram_rows(p)
                );
                sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(gram)
                    .fetch_one(self.reader())
                    .await
                    .map_err(db_err("gram count"))?
            }
        };
        cache.put_gram_count(&p.table, gram, Counted::All, n);
        Ok(n)
    }

    /// The rows the planner expects `explain` (an `EXPLAIN (FORMAT JSON)` with `$1`) to give
    /// for `value`. Unnamed (not prepared once and kept): a kept statement may be planned once
    /// for every value, and then every gram would look alike.
    async fn planned_rows(&self, explain: &str, value: &str) -> StoreResult<i64> {
        let plan: sqlx::types::Json<serde_json::Value> =
            sqlx::query_scalar(AssertSqlSafe(explain.to_owned()))
                .bind(value)
                .persistent(false)
                .fetch_one(self.reader())
                .await
                .map_err(db_err("gram estimate"))?;
        // A plan without rows counts as common; `as` saturates.
        let rows = plan.0[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(f64::MAX);
        Ok(rows as i64)
    }

    /// Builds (or rebuilds, when what it holds changed) the projection of `spec` from the
    /// records stored, in one transaction; `false` when it was up to date.
    pub(crate) async fn build_projection_of(&self, spec: &ProjectionSpec) -> StoreResult<bool> {
        let p = Projection::new::<Dialect>(spec.clone());
        let what = format!("projection of {}/{}", spec.app_id, spec.form_id);
        let signature = p.signature();
        let mut tx = begin(self).await?;
        // Builds queue on the publish epoch's row (PostgreSQL; SQLite's BEGIN IMMEDIATE already
        // does): two publishes at once would otherwise both create the same tables.
        // The epoch moves too: a list cached its form's projection at the epoch it read.
        sqlx::query("UPDATE publish_epoch SET epoch = epoch + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db_err(&what))?;
        let built: Option<String> = sqlx::query_scalar(
            "SELECT signature FROM projections WHERE app_id = $1 AND form_id = $2",
        )
        .bind(&spec.app_id)
        .bind(&spec.form_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        if built.as_deref() == Some(signature.as_str()) {
            return Ok(false);
        }
        for statement in formwork_query::projection_ddl::build::<Dialect>(&p) {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
                .map_err(db_err(&what))?;
        }
        let spec_text =
            serde_json::to_string(spec).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "INSERT INTO projections (app_id, form_id, table_name, spec, signature, built_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, form_id) DO UPDATE SET \
             table_name = excluded.table_name, spec = excluded.spec, \
             signature = excluded.signature, built_at = excluded.built_at",
        )
        .bind(&spec.app_id)
        .bind(&spec.form_id)
        .bind(&p.table)
        .bind(spec_text)
        .bind(&signature)
        .bind(ts(now()))
        .execute(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        commit(tx).await?;
        for statement in Dialect::settle(&p) {
            sqlx::query(AssertSqlSafe(statement))
                .execute(self.writer())
                .await
                .map_err(db_err(&what))?;
        }
        Ok(true)
    }
}
