-- Typed projections (issue 12, SQLite dialect). Per published form, a side table fp_<hash>
-- holds each live record's typed fields and fg_<hash> the grams its search reads; both are
-- built at publish and kept in step by triggers on records. This registry says which exist
-- and what they hold (the spec), so queries read them and publishing rebuilds a changed one.
CREATE TABLE projections (
    app_id     TEXT NOT NULL,
    form_id    TEXT NOT NULL,
    table_name TEXT NOT NULL,
    spec       TEXT NOT NULL,
    signature  TEXT NOT NULL,
    built_at   TEXT NOT NULL,
    PRIMARY KEY (app_id, form_id)
);

-- 1..65536: the positions the n-gram triggers cut text at (trigger bodies cannot recurse).
CREATE TABLE fp_numbers (n INTEGER PRIMARY KEY);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 65536)
INSERT INTO fp_numbers (n) SELECT n FROM s;
