//! `ReportStore`: report plans run as the statements `formwork-query` builds (every item read
//! as text and decoded by the plan's types), and staged spreadsheet imports committed in one
//! transaction through the same record insert as a submission.

use std::collections::HashMap;

use async_trait::async_trait;
use formwork_query::Dialect as _;
use formwork_query::report::{self, PercentileSql, ReportSql};
use formwork_reports::ir::{Cell, Plan};
use formwork_store::{
    AppId, FormId, Import, ImportSettlement, ImportStatus, NewImport, NewRecord, RecordId,
    ReportRows, ReportScope, ReportStore, StoreError, StoreResult, UserId,
};
use rust_decimal::Decimal;
use sea_query_sqlx::SqlxBinder as _;
use sqlx::Row as _;
use sqlx::types::Json;

use super::Driver as _;
use super::records::insert_in;
use super::rows::parsed;
use super::{DbRow, Dialect, begin, commit, db_err, now, ts};
use crate::StoreImpl;

macro_rules! import_cols {
    () => {
        "id, app_id, form_id, created_by, content_hash, filename, historical, status, \
         row_count, errors, mapping, created_at, committed_at"
    };
}

fn import_row(row: DbRow) -> Result<Import, sqlx::Error> {
    let decode = |col: &str, e: String| sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: e.into(),
    };
    let status: String = row.try_get("status")?;
    Ok(Import {
        id: row.try_get("id")?,
        app_id: parsed(&row, "app_id")?,
        form_id: parsed(&row, "form_id")?,
        created_by: parsed(&row, "created_by")?,
        content_hash: row.try_get("content_hash")?,
        filename: row.try_get("filename")?,
        historical: row.try_get("historical")?,
        status: ImportStatus::parse(&status).ok_or_else(|| decode("status", status.clone()))?,
        row_count: row.try_get("row_count")?,
        errors: row.try_get::<Json<serde_json::Value>, _>("errors")?.0,
        mapping: row.try_get::<Json<serde_json::Value>, _>("mapping")?.0,
        created_at: row.try_get("created_at")?,
        committed_at: row.try_get("committed_at")?,
    })
}

fn built(e: formwork_query::QueryError) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl StoreImpl {
    /// The statements of `plan`, reading the form's projection when there is one.
    async fn report_statements(
        &self,
        plan: &Plan,
        scope: &ReportScope,
    ) -> StoreResult<report::ReportStatements> {
        let proj = match &plan.source {
            formwork_reports::ir::Source::Records { form } => {
                self.projection_of(scope.app_id.as_str(), form).await?
            }
            formwork_reports::ir::Source::Tasks { .. } => None,
        };
        report::statements_with::<Dialect>(plan, scope, proj.as_ref()).map_err(built)
    }

    /// The rows of one report statement, each item decoded as `decode` says.
    async fn report_rows(&self, sql: &ReportSql) -> StoreResult<Vec<Vec<Cell>>> {
        let (text, values) = sql.statement.build_sqlx(Dialect::builder());
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(text), values)
            .fetch_all(self.reader())
            .await
            .map_err(db_err("report"))?;
        rows.iter()
            .map(|row| {
                sql.decode
                    .iter()
                    .enumerate()
                    .map(|(i, how)| {
                        let t: Option<String> = row.try_get(i).map_err(db_err("report cell"))?;
                        Ok(report::decode(t.as_deref(), *how))
                    })
                    .collect()
            })
            .collect()
    }

    /// Fills a percentile the database cannot compute into the grouped rows, from the
    /// values its statement lists per group.
    async fn fill_percentile(&self, p: &PercentileSql, rows: &mut [Vec<Cell>]) -> StoreResult<()> {
        let identity = |cells: &[Cell]| serde_json::to_string(cells).unwrap_or_default();
        let mut groups: HashMap<String, Vec<Decimal>> = HashMap::new();
        for mut r in self.report_rows(&p.sql).await? {
            let Some(Cell::Text(list)) = r.get(p.keys).cloned() else {
                continue;
            };
            r.truncate(p.keys);
            let values = list
                .split(',')
                .filter_map(|v| match report::decode(Some(v), p.value) {
                    Cell::Decimal(d) => Some(d),
                    Cell::Int(i) => Some(Decimal::from(i)),
                    _ => None,
                });
            groups.entry(identity(&r)).or_default().extend(values);
        }
        for row in rows.iter_mut() {
            let key = identity(&row[..p.keys]);
            let mut values = groups.remove(&key).unwrap_or_default();
            values.sort();
            let v = formwork_reports::eval::percentile(&values, p.fraction);
            if let Some(cell) = row.get_mut(p.keys + p.agg) {
                *cell = v.map_or(Cell::Null, Cell::Decimal);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ReportStore for StoreImpl {
    async fn run_report(&self, plan: &Plan, scope: &ReportScope) -> StoreResult<ReportRows> {
        let statements = self.report_statements(plan, scope).await?;
        let mut rows = self.report_rows(&statements.main).await?;
        for p in &statements.percentiles {
            self.fill_percentile(p, &mut rows).await?;
        }
        let totals = match &statements.totals {
            Some(t) => self.report_rows(t).await?.into_iter().next(),
            None => None,
        };
        Ok(ReportRows { rows, totals })
    }

    async fn build_projection(&self, spec: &formwork_query::ProjectionSpec) -> StoreResult<bool> {
        self.build_projection_of(spec).await
    }

    async fn explain_report(&self, plan: &Plan, scope: &ReportScope) -> StoreResult<Vec<String>> {
        let statements = self.report_statements(plan, scope).await?;
        let (sql, values) = statements.main.statement.build_sqlx(Dialect::builder());
        let sql = format!("{}{sql}", Dialect::EXPLAIN);
        sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .try_map(|r: DbRow| r.try_get::<String, _>(Dialect::EXPLAIN_COLUMN))
            .fetch_all(self.reader())
            .await
            .map_err(db_err("query plan"))
    }

    async fn insert_import(&self, new: &NewImport) -> StoreResult<()> {
        let i = &new.import;
        sqlx::query(
            "INSERT INTO imports (id, app_id, form_id, created_by, content_hash, filename, \
             historical, status, row_count, errors, mapping, staged, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        )
        .bind(&i.id)
        .bind(i.app_id.as_str())
        .bind(i.form_id.as_str())
        .bind(i.created_by.as_str())
        .bind(&i.content_hash)
        .bind(&i.filename)
        .bind(i.historical)
        .bind(i.status.as_str())
        .bind(i.row_count)
        .bind(Json(&i.errors))
        .bind(Json(&i.mapping))
        .bind(Json(&new.staged))
        .bind(ts(i.created_at))
        .execute(self.writer())
        .await
        .map_err(db_err("import"))?;
        Ok(())
    }

    async fn get_import(&self, id: &str) -> StoreResult<Option<Import>> {
        sqlx::query(concat!(
            "SELECT ",
            import_cols!(),
            " FROM imports WHERE id = $1"
        ))
        .bind(id)
        .try_map(import_row)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err("import"))
    }

    async fn committed_import(
        &self,
        app_id: &AppId,
        form_id: &FormId,
        content_hash: &str,
    ) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT id FROM imports WHERE app_id = $1 AND form_id = $2 AND content_hash = $3 \
             AND status = 'committed'",
        )
        .bind(app_id.as_str())
        .bind(form_id.as_str())
        .bind(content_hash)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err("import"))
    }

    async fn settle_import(
        &self,
        id: &str,
        expected: ImportStatus,
        settlement: &ImportSettlement,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE imports SET status = $3, row_count = COALESCE($4, row_count), errors = $5, \
             staged = $6, updated_at = $7 WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(expected.as_str())
        .bind(settlement.status.as_str())
        .bind(settlement.row_count)
        .bind(Json(&settlement.errors))
        .bind(Json(&settlement.staged))
        .bind(ts(now()))
        .execute(self.writer())
        .await
        .map_err(db_err("import"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn staged_rows(&self, id: &str) -> StoreResult<serde_json::Value> {
        let staged: Option<Json<serde_json::Value>> =
            sqlx::query_scalar("SELECT staged FROM imports WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(db_err("import"))?;
        staged
            .map(|j| j.0)
            .ok_or_else(|| StoreError::NotFound(format!("import {id}")))
    }

    async fn commit_import(
        &self,
        id: &str,
        records: Vec<NewRecord>,
        actor: &UserId,
    ) -> StoreResult<u64> {
        let mut tx = begin(self).await?;
        let now = now();
        let claimed = sqlx::query(
            "UPDATE imports SET status = 'committed', staged = $2, committed_at = $3, \
             updated_at = $3 WHERE id = $1 AND status = 'ready'",
        )
        .bind(id)
        .bind(Json(serde_json::json!([])))
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("import"))?;
        if claimed.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("import {id} is not ready")));
        }
        let mut n = 0;
        for new in &records {
            insert_in(&mut tx, new, &RecordId::new(), actor, now).await?;
            n += 1;
        }
        commit(tx).await?;
        Ok(n)
    }
}
