-- Typed projections (issue 12, PostgreSQL dialect). Per published form, a side table
-- fp_<hash> holds each live record's typed fields and fg_<hash> the grams its search reads;
-- both are built at publish and kept in step by triggers on records. This registry says which
-- exist and what they hold (the spec), so queries read them and publishing rebuilds a changed
-- one.
CREATE TABLE projections (
    app_id     text NOT NULL,
    form_id    text NOT NULL,
    table_name text NOT NULL,
    spec       text NOT NULL,
    signature  text NOT NULL,
    built_at   timestamptz NOT NULL,
    PRIMARY KEY (app_id, form_id)
);
