//! The statements that build a [`Projection`] and keep it in step: set-based backfill
//! (`INSERT … SELECT` with the JSON read in the database, never row by row), covering indexes
//! for the report group-bys and list sorts, and triggers on `records` that rewrite a record's
//! row (and, when its data or number changed, its grams) in the writing transaction.
//!
//! Identifiers come from [`Projection`] (hashes and checked field keys); the app and form ids
//! go in as quoted literals because trigger bodies cannot take parameters.

use formwork_reports::ir::Storage;

use crate::dialect::{Postgres, Sqlite};
use crate::list::NOT_DRAFT;
use crate::projection::{Projection, SYSTEM_COLUMNS};
use crate::report_dialect::ReportDialect;

/// Texts longer than this get one empty gram instead of theirs on SQLite (its grams come from
/// a numbers table of this size): such a record is a candidate of every search.
pub const SQLITE_GRAM_LIMIT: u32 = 65_536;

/// What building a projection says differently on each database.
pub trait ProjectionDialect: ReportDialect {
    /// Whether a search listed in id order walks its rarest gram's key
    /// ([`crate::projection::gram_walk`]): SQLite keeps `(gram, id)` rows in a B-tree;
    /// PostgreSQL's GIN index gives no order.
    const GRAM_WALK: bool;
    /// The creation day in Asia/Shanghai of the instant column `col`.
    fn local_day(col: &str) -> String;
    /// Settings for the building transaction only (memory for its sorts).
    fn build_settings() -> Vec<String>;
    /// Columns of the projection row beyond the system and field ones, as `expr AS name`
    /// over `records r`.
    fn extra_columns(p: &Projection) -> Vec<String>;
    /// Drops the projection's tables and triggers.
    fn drop(p: &Projection) -> Vec<String>;
    /// Creates the gram table.
    fn gram_table(p: &Projection) -> String;
    /// `INSERT` of the grams of `sources` (text expressions over `records r`) of the records
    /// `filter` selects; grams already there are skipped.
    fn insert_grams(p: &Projection, sources: &[String], filter: &str) -> Vec<String>;
    /// An index on `keys` that also carries `extra`.
    fn covering(table: &str, name: &str, keys: &[String], extra: &[String]) -> String;
    /// The leading columns of an index a report groups `col` by. Reports group by the key as
    /// text; SQLite walks an index in that order only when it holds the same expression.
    fn group_key(col: &str) -> Vec<String>;
    /// Indexes serving a list sorted by `col` either way, records without a value last.
    fn sort_indexes(table: &str, col: &str) -> Vec<String>;
    /// The unique key on `id`.
    fn primary_key(table: &str) -> String;
    /// `SELECT 1` per record holding the gram `$1`, read from the gram index alone.
    fn gram_rows(p: &Projection) -> String;
    /// How many records hold the gram `$1` is told by the planner's statistics (the
    /// `EXPLAIN (FORMAT JSON)` of this statement), not counted: an inverted index cannot stop
    /// after a few thousand entries, a B-tree range can. `None`: count [`Self::gram_rows`].
    fn gram_estimate(p: &Projection) -> Option<String>;
    /// Any index the gram table needs beyond its key, then the triggers on `records`.
    fn triggers(p: &Projection, app: &str, form: &str) -> Vec<String>;
    /// Statistics (and on PostgreSQL the visibility map) after a bulk build; run outside
    /// the building transaction.
    fn settle(p: &Projection) -> Vec<String>;
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `SELECT` of the projection's rows for the records `filter` selects (over `records r`).
/// A draft (暂存) is its owner's private half-filled form, which no list or report shows:
/// it gets a row once submitted, so no reader of the projection filters drafts out again.
pub fn select_rows<D: ProjectionDialect>(p: &Projection, filter: &str) -> String {
    select_rows_from::<D>(p, "records r", filter)
}

/// [`select_rows`] over `from`, a source of `records` rows named `r`.
fn select_rows_from<D: ProjectionDialect>(p: &Projection, from: &str, filter: &str) -> String {
    let mut items: Vec<String> = SYSTEM_COLUMNS
        .iter()
        .map(|c| format!("r.{c} AS {c}"))
        .collect();
    items.push(format!("{} AS created_day", D::local_day("r.created_at")));
    items.extend(
        p.columns
            .iter()
            .map(|c| format!("{} AS {}", c.expr, c.name)),
    );
    items.extend(D::extra_columns(p));
    format!(
        "SELECT {} FROM {from} WHERE {filter} AND r.deleted_at IS NULL AND r.{NOT_DRAFT}",
        items.join(", ")
    )
}

fn form_filter(p: &Projection) -> String {
    format!(
        "r.app_id = {} AND r.form_id = {}",
        quote(&p.spec.app_id),
        quote(&p.spec.form_id)
    )
}

/// Every statement that (re)builds `p` from the records already stored, in order; run in one
/// transaction, then [`ProjectionDialect::settle`].
pub fn build<D: ProjectionDialect>(p: &Projection) -> Vec<String> {
    let t = &p.table;
    let forms = form_filter(p);
    let mut out = D::build_settings();
    out.extend(D::drop(p));
    out.push(format!(
        "CREATE TABLE {t} AS {}",
        select_rows::<D>(p, "1 = 0")
    ));
    out.push(format!("INSERT INTO {t} {}", select_rows::<D>(p, &forms)));
    out.push(D::gram_table(p));
    out.extend(D::insert_grams(p, &p.search_texts, &forms));
    out.push(D::primary_key(t));
    out.extend(indexes::<D>(p));
    out.extend(D::triggers(p, &p.spec.app_id, &p.spec.form_id));
    out
}

fn indexes<D: ProjectionDialect>(p: &Projection) -> Vec<String> {
    let t = &p.table;
    let status = vec!["status".to_owned()];
    let mut out = vec![
        D::covering(t, "status", &D::group_key("status"), &[]),
        D::covering(t, "day", &["created_day".into()], &status),
        D::covering(t, "own", &["owner_id".into(), "id".into()], &[]),
        D::covering(t, "dept", &["department_id".into(), "id".into()], &[]),
    ];
    let col = |key: &str, s: Storage| {
        let key = crate::list::FieldKey::parse(key).ok()?;
        p.report_column::<D>(&key, s).map(str::to_owned)
    };
    let measures: Vec<String> = p
        .spec
        .fields
        .iter()
        .filter(|f| matches!(f.storage, Storage::Number | Storage::Money))
        .filter_map(|f| col(&f.key, f.storage))
        .collect();
    let mut extra = status.clone();
    extra.extend(measures);
    for (i, f) in p.spec.fields.iter().enumerate() {
        if f.group
            && let Some(c) = col(&f.key, f.storage)
        {
            out.push(D::covering(t, &format!("g{i}"), &D::group_key(&c), &extra));
        }
        let list = crate::list::FieldKey::parse(&f.key)
            .ok()
            .and_then(|k| match f.storage {
                Storage::Number | Storage::Money => {
                    p.list_column::<D>(&k, crate::list::ValueKind::Number)
                }
                Storage::Date => p.list_column::<D>(&k, crate::list::ValueKind::Text),
                _ => None,
            });
        if let Some(c) = list {
            out.extend(D::sort_indexes(t, c));
        }
    }
    for (i, pair) in p.spec.pairs.iter().enumerate() {
        let column = |key: &String| {
            let f = p.spec.fields.iter().find(|f| &f.key == key)?;
            col(key, f.storage)
        };
        if let [Some(a), Some(b)] = pair.each_ref().map(column) {
            out.push(D::covering(t, &format!("k{i}"), &[a, b], &[]));
        }
    }
    out
}

/// What a step (a change of status, owner or times, not of data or number) sets in a
/// projection row, from the trigger's `NEW` row.
fn step_columns<D: ProjectionDialect>() -> Vec<String> {
    let mut set: Vec<String> = SYSTEM_COLUMNS
        .iter()
        .filter(|c| !matches!(**c, "id" | "number"))
        .map(|c| format!("{c} = NEW.{c}"))
        .collect();
    set.push(format!("created_day = {}", D::local_day("NEW.created_at")));
    set
}

/// The text sources of a search as `(id, lowered text)` rows over `from`, which names its
/// rows `r` (with at least `id`, `number` and `data`).
fn texts(sources: &[String], from: &str) -> String {
    sources
        .iter()
        .map(|e| format!("SELECT r.id AS id, lower({e}) AS v FROM {from}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The rows of `records` that `filter` selects, as [`texts`] reads them.
fn stored(filter: &str) -> String {
    format!("records r WHERE {filter}")
}

/// A trigger's `NEW` or `OLD` row, as [`texts`] reads it: no second read of `records`.
fn trigger_row(row: &str) -> String {
    format!("(SELECT {row}.id AS id, {row}.number AS number, {row}.data AS data) r")
}

/// Each one- and two-character substring of the texts `texts` with its record id (repeats
/// kept), as `(gram, id)`.
fn substrings(texts: &str) -> String {
    format!(
        "SELECT substr(t.v, n.n, k.k) AS gram, t.id AS id FROM ({texts}) t \
         JOIN fp_numbers n ON n.n <= length(t.v) \
         JOIN (SELECT 1 AS k UNION ALL SELECT 2) k ON n.n + k.k - 1 <= length(t.v)"
    )
}

/// The `INSERT`s of the grams of `texts` into the gram table `g`, sorted by its key; a text
/// too long for grams gets the empty gram, which every search reads.
fn sqlite_gram_inserts(g: &str, texts: &str) -> Vec<String> {
    vec![
        format!(
            "INSERT OR IGNORE INTO {g} (gram, id) SELECT DISTINCT gram, id FROM ({}) \
             ORDER BY 1, 2",
            substrings(texts)
        ),
        format!(
            "INSERT OR IGNORE INTO {g} (gram, id) SELECT DISTINCT '', t.id FROM ({texts}) t \
             WHERE length(t.v) > {SQLITE_GRAM_LIMIT}"
        ),
    ]
}

impl ProjectionDialect for Sqlite {
    const GRAM_WALK: bool = true;

    fn build_settings() -> Vec<String> {
        Vec::new()
    }

    /// SQLite keeps grams in their own table: it has no inverted index over an array.
    fn extra_columns(_p: &Projection) -> Vec<String> {
        Vec::new()
    }

    fn gram_rows(p: &Projection) -> String {
        format!("SELECT 1 FROM {} WHERE gram = lower($1)", p.grams)
    }

    fn gram_estimate(_p: &Projection) -> Option<String> {
        None
    }

    fn local_day(col: &str) -> String {
        format!("date({col}, '+8 hours')")
    }

    fn drop(p: &Projection) -> Vec<String> {
        let mut out: Vec<String> = ["ins", "step", "upd", "grams", "number", "del"]
            .iter()
            .map(|s| format!("DROP TRIGGER IF EXISTS {}_{s}", p.table))
            .collect();
        out.push(format!("DROP TABLE IF EXISTS {}", p.table));
        out.push(format!("DROP TABLE IF EXISTS {}", p.grams));
        out
    }

    fn gram_table(p: &Projection) -> String {
        format!(
            "CREATE TABLE {} (gram TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (gram, id)) \
             WITHOUT ROWID",
            p.grams
        )
    }

    fn insert_grams(p: &Projection, sources: &[String], filter: &str) -> Vec<String> {
        sqlite_gram_inserts(&p.grams, &texts(sources, &stored(filter)))
    }

    fn covering(table: &str, name: &str, keys: &[String], extra: &[String]) -> String {
        let mut cols = keys.to_vec();
        cols.extend(extra.iter().filter(|c| !keys.contains(c)).cloned());
        format!(
            "CREATE INDEX {table}_{name} ON {table} ({})",
            cols.join(", ")
        )
    }

    fn group_key(col: &str) -> Vec<String> {
        vec![format!("CAST({col} AS TEXT)"), col.to_owned()]
    }

    fn sort_indexes(table: &str, col: &str) -> Vec<String> {
        vec![format!("CREATE INDEX {table}_{col} ON {table} ({col}, id)")]
    }

    fn primary_key(table: &str) -> String {
        format!("CREATE UNIQUE INDEX {table}_id ON {table} (id)")
    }

    /// The grams come from the trigger's row itself and go by the old row's grams, found by
    /// the key: the gram table needs no index on `id` (measured with the sample project's 69
    /// grams: 546 µs per record inserted with that index and re-reading the row, 416 without).
    fn triggers(p: &Projection, app: &str, form: &str) -> Vec<String> {
        let (t, g) = (&p.table, &p.grams);
        let when = |row: &str| {
            format!(
                "WHEN {row}.app_id = {} AND {row}.form_id = {}",
                quote(app),
                quote(form)
            )
        };
        let rows = format!(
            "INSERT INTO {t} {};",
            select_rows::<Sqlite>(p, "r.id = NEW.id")
        );
        let new_texts = |sources: &[String]| texts(sources, &trigger_row("NEW"));
        let grams = sqlite_gram_inserts(g, &new_texts(&p.search_texts)).join("; ") + ";";
        let number = sqlite_gram_inserts(g, &new_texts(&p.search_texts[..1])).join("; ") + ";";
        // Every gram the old row's texts gave, and the empty gram, each found by the key.
        let old_grams = format!(
            "DELETE FROM {g} WHERE id = OLD.id AND gram IN \
             (SELECT gram FROM ({}) UNION ALL SELECT '');",
            substrings(&texts(&p.search_texts, &trigger_row("OLD")))
        );
        // A step moves the status of a listed record, not its data: its row is updated in
        // place and its grams stay (rewriting both had cost a decision about 0.4 ms).
        let listed =
            |row: &str| format!("{row}.deleted_at IS NULL AND {row}.status IS NOT 'draft'");
        let step = format!(
            "OLD.data IS NEW.data AND OLD.number IS NEW.number AND {} AND {}",
            listed("OLD"),
            listed("NEW")
        );
        let system = step_columns::<Sqlite>();
        vec![
            format!(
                "CREATE TRIGGER {t}_ins AFTER INSERT ON records {} BEGIN {rows} {grams} END",
                when("NEW")
            ),
            format!(
                "CREATE TRIGGER {t}_step AFTER UPDATE ON records {} AND {step} BEGIN \
                 UPDATE {t} SET {} WHERE id = NEW.id; END",
                when("NEW"),
                system.join(", ")
            ),
            format!(
                "CREATE TRIGGER {t}_upd AFTER UPDATE ON records {} AND NOT ({step}) BEGIN \
                 DELETE FROM {t} WHERE id = OLD.id; {rows} END",
                when("NEW")
            ),
            format!(
                "CREATE TRIGGER {t}_grams AFTER UPDATE OF data ON records {} \
                 AND OLD.data IS NOT NEW.data BEGIN {old_grams} {grams} END",
                when("NEW")
            ),
            // A number is given once (after the insert, on PostgreSQL): its grams are added;
            // an old number's grams left behind only make a candidate the check then drops.
            format!(
                "CREATE TRIGGER {t}_number AFTER UPDATE OF number ON records {} BEGIN {number} END",
                when("NEW")
            ),
            format!(
                "CREATE TRIGGER {t}_del AFTER DELETE ON records {} BEGIN \
                 DELETE FROM {t} WHERE id = OLD.id; {old_grams} END",
                when("OLD")
            ),
        ]
    }

    fn settle(p: &Projection) -> Vec<String> {
        vec![
            format!("ANALYZE {}", p.table),
            format!("ANALYZE {}", p.grams),
        ]
    }
}

impl ProjectionDialect for Postgres {
    const GRAM_WALK: bool = false;

    /// The gram table's key and the DISTINCT of its rows sort millions of short rows: in
    /// memory, not in temporary files (measured at 100k records: 20 s of 61 s in the key).
    fn build_settings() -> Vec<String> {
        vec![
            "SET LOCAL maintenance_work_mem = '512MB'".to_owned(),
            "SET LOCAL work_mem = '256MB'".to_owned(),
        ]
    }

    fn local_day(col: &str) -> String {
        format!("CAST(({col} AT TIME ZONE 'Asia/Shanghai') AS date)")
    }

    /// The distinct one- and two-character grams of the searchable text, lower-cased, sorted
    /// (so a rebuild gives the same array). An array under a GIN index costs a quarter of
    /// a (gram, id) row per gram with its B-tree entries: measured 0.3 against 1.3 ms per
    /// record inserted.
    fn extra_columns(p: &Projection) -> Vec<String> {
        let sources: Vec<String> = p.search_texts.iter().map(|e| format!("({e})")).collect();
        vec![format!(
            "ARRAY(SELECT DISTINCT substr(t.v, i, k) FROM \
             (SELECT lower(x.v) AS v FROM (VALUES {}) x(v)) t \
             CROSS JOIN LATERAL generate_series(1, length(t.v)) i \
             CROSS JOIN (VALUES (1), (2)) kk(k) \
             WHERE t.v IS NOT NULL AND i + k - 1 <= length(t.v) ORDER BY 1) AS grams",
            sources.join(", ")
        )]
    }

    /// The projection table goes with its gram view; a gram table of an older build is a
    /// table of its own.
    fn drop(p: &Projection) -> Vec<String> {
        vec![
            format!("DROP FUNCTION IF EXISTS {}_sync() CASCADE", p.table),
            format!("DROP TABLE IF EXISTS {} CASCADE", p.table),
            format!("DROP TABLE IF EXISTS {}", p.grams),
        ]
    }

    /// The (gram, id) rows, for tools and tests that read grams as SQLite keeps them.
    fn gram_table(p: &Projection) -> String {
        format!(
            "CREATE VIEW {} AS SELECT unnest(grams) AS gram, id FROM {}",
            p.grams, p.table
        )
    }

    fn gram_rows(p: &Projection) -> String {
        format!("SELECT 1 FROM {} WHERE grams @> ARRAY[lower($1)]", p.table)
    }

    /// Counting a common gram through GIN reads its whole posting list and rechecks the
    /// rows (measured at 142k records: 220 ms for a search of six grams). The array is
    /// written as a function of the parameter, which a custom plan folds to a constant the
    /// element statistics then rate.
    fn gram_estimate(p: &Projection) -> Option<String> {
        Some(format!(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM {} \
             WHERE grams @> array_append(CAST(NULL AS text[]), lower($1))",
            p.table
        ))
    }

    /// The grams come with the projection rows.
    fn insert_grams(_p: &Projection, _sources: &[String], _filter: &str) -> Vec<String> {
        Vec::new()
    }

    fn covering(table: &str, name: &str, keys: &[String], extra: &[String]) -> String {
        let extra: Vec<&String> = extra.iter().filter(|c| !keys.contains(c)).collect();
        let include = match extra.is_empty() {
            true => String::new(),
            false => format!(
                " INCLUDE ({})",
                extra
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "CREATE INDEX {table}_{name} ON {table} ({}){include}",
            keys.join(", ")
        )
    }

    fn group_key(col: &str) -> Vec<String> {
        vec![col.to_owned()]
    }

    /// Ascending with nulls last is the default order; descending with nulls last is the
    /// backward scan of ascending with nulls first.
    fn sort_indexes(table: &str, col: &str) -> Vec<String> {
        vec![
            format!("CREATE INDEX {table}_{col} ON {table} ({col}, id)"),
            format!("CREATE INDEX {table}_{col}_d ON {table} ({col} NULLS FIRST, id)"),
        ]
    }

    fn primary_key(table: &str) -> String {
        format!("ALTER TABLE {table} ADD PRIMARY KEY (id)")
    }

    fn triggers(p: &Projection, app: &str, form: &str) -> Vec<String> {
        let t = &p.table;
        let mut names: Vec<String> = SYSTEM_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        names.push("created_day".into());
        names.extend(p.columns.iter().map(|c| c.name.clone()));
        names.push("grams".into());
        let set: Vec<String> = names
            .iter()
            .filter(|n| *n != "id")
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        // An upsert, not delete-then-insert: no plan cached while the table was empty can
        // turn it into a scan. It reads the written row itself, not `records`: a plan cached
        // for `records` while it was small walked a partial index whole per row (measured:
        // 100k imported records in one transaction took over 6 minutes).
        let rows = format!(
            "INSERT INTO {t} {} ON CONFLICT (id) DO UPDATE SET {}",
            select_rows_from::<Postgres>(p, "(SELECT (NEW).*) r", "TRUE"),
            set.join(", ")
        );
        // A step moves the status, not the data: the fields and grams stay as they are.
        let system = step_columns::<Postgres>();
        let when = |row: &str| {
            format!(
                "WHEN ({row}.app_id = {} AND {row}.form_id = {})",
                quote(app),
                quote(form)
            )
        };
        vec![
            format!(
                "CREATE FUNCTION {t}_sync() RETURNS trigger LANGUAGE plpgsql AS $fp$ BEGIN \
                 IF TG_OP = 'DELETE' THEN DELETE FROM {t} WHERE id = OLD.id; RETURN NULL; END IF; \
                 IF NEW.deleted_at IS NOT NULL OR NEW.status = 'draft' THEN \
                    DELETE FROM {t} WHERE id = NEW.id; \
                    RETURN NULL; END IF; \
                 IF TG_OP = 'UPDATE' AND NEW.data IS NOT DISTINCT FROM OLD.data \
                    AND NEW.number IS NOT DISTINCT FROM OLD.number THEN \
                    UPDATE {t} SET {} WHERE id = NEW.id; \
                    IF FOUND THEN RETURN NULL; END IF; \
                 END IF; \
                 {rows}; RETURN NULL; END $fp$",
                system.join(", ")
            ),
            format!(
                "CREATE TRIGGER {t}_write AFTER INSERT OR UPDATE ON records FOR EACH ROW {} \
                 EXECUTE FUNCTION {t}_sync()",
                when("NEW")
            ),
            format!(
                "CREATE TRIGGER {t}_del AFTER DELETE ON records FOR EACH ROW {} \
                 EXECUTE FUNCTION {t}_sync()",
                when("OLD")
            ),
            // A search reads the pending list too: kept short so an unvacuumed burst of
            // writes does not slow every search.
            format!(
                "CREATE INDEX {t}_grams ON {t} USING gin (grams) \
                 WITH (gin_pending_list_limit = 512)"
            ),
        ]
    }

    fn settle(p: &Projection) -> Vec<String> {
        vec![format!("VACUUM (ANALYZE) {}", p.table)]
    }
}
