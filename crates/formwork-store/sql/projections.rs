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

#[derive(Debug, Default)]
struct Held {
    /// Each form's projection with the publish epoch it was read at.
    forms: HashMap<FormKey, Remembered>,
    /// (projection table, gram) → the gram's count (at most [`RARE`]) and when it was read.
    grams: HashMap<(String, String), (i64, Instant)>,
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

    fn gram_count(&self, table: &str, gram: &str) -> Option<i64> {
        let key = (table.to_owned(), gram.to_owned());
        self.held()
            .grams
            .get(&key)
            .filter(|(_, at)| at.elapsed() < GRAM_COUNT_TTL)
            .map(|(n, _)| *n)
    }

    fn put_gram_count(&self, table: &str, gram: &str, n: i64) {
        let mut held = self.held();
        if held.grams.len() >= GRAM_COUNTS_HELD {
            held.grams.clear();
        }
        held.grams
            .insert((table.to_owned(), gram.to_owned()), (n, Instant::now()));
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
            p.drive = self.rarest_gram(&p, needle.trim()).await?;
        }
        Ok(Some(p))
    }

    /// The needle's gram with the fewest records, if it has fewer than [`RARE`]: counted by
    /// reading at most that many entries of each gram's index range (SQLite) or rated by the
    /// planner (PostgreSQL), each count held for [`GRAM_COUNT_TTL`].
    async fn rarest_gram(&self, p: &Projection, needle: &str) -> StoreResult<Option<String>> {
        let sql = format!(
            "SELECT COUNT(*) FROM ({} LIMIT {RARE}) AS g",
            Dialect::gram_rows(p)
        );
        let estimate = Dialect::gram_estimate(p);
        let mut best: Option<(i64, String)> = None;
        let cache = self.projection_cache();
        for gram in formwork_query::projection::needle_grams(needle) {
            let held = cache.gram_count(&p.table, &gram);
            let n: i64 = match (held, &estimate) {
                (Some(n), _) => n,
                (None, Some(explain)) => self.planned_rows(explain, &gram).await?,
                (None, None) => sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                    .bind(&gram)
                    .fetch_one(self.reader())
                    .await
                    .map_err(db_err("gram count"))?,
            };
            if held.is_none() {
                cache.put_gram_count(&p.table, &gram, n);
            }
            if n < RARE && best.as_ref().is_none_or(|(m, _)| n < *m) {
                best = Some((n, gram));
            }
        }
        Ok(best.map(|(_, g)| g))
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
