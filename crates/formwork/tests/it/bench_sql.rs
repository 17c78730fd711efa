//! The bench's floor writes rows with the store's own statements: each raw statement must
//! stand, word for word, in the store's SQL, so the floor cannot drift from what it measures.

/// The store's SQL sources, with string quoting, line continuations and white space removed.
fn store_sql() -> String {
    [
        include_str!("../../../formwork-store/sql/records.rs"),
        include_str!("../../../formwork-store/sql/steps.rs"),
        include_str!("../../../formwork-store/sql/processes.rs"),
        include_str!("../../../formwork-store/sql/jobs.rs"),
        include_str!("../../../formwork-store/sql/mod.rs"),
    ]
    .concat()
    .chars()
    .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\\')
    .collect()
}

#[test]
fn every_raw_statement_of_the_bench_is_a_statement_of_the_store() {
    let store = store_sql()
        // The column lists the store splices in by macro.
        .replace(
            "RETURNING,record_cols!()",
            "RETURNINGid,app_id,form_id,app_version,number,owner_id,department_id,status,data,rev,created_at,updated_at",
        );
    for statement in formwork::bench::RAW_STATEMENTS {
        let squeezed: String = statement.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            store.contains(&squeezed),
            "the bench runs a statement the store does not:\n{statement}"
        );
    }
}
