-- Rounds of process steps, admin operations on instances, and user ids in process states.
--
-- 1. Each task remembers the round of its node it belongs to (one entry into the node; returns
--    and loops start new rounds) and what it asks (`step`, or `resubmit` after 退回发起人).
--    The database itself refuses a second open task for one node, round and assignee. Open
--    tasks written before rounds existed all have round 0; where earlier releases opened a
--    node twice for one person (the return-into-a-branch defect), the later ones are
--    renumbered -1, -2, … rather than closed: the instance's state still refers to them, and
--    an admin can now cancel or move such an instance.
ALTER TABLE tasks ADD COLUMN round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'step' CHECK (kind IN ('step', 'resubmit'));
UPDATE tasks SET round = -(
    SELECT COUNT(*) FROM tasks d
    WHERE d.instance_id = tasks.instance_id AND d.node_id = tasks.node_id
      AND d.assignee_id = tasks.assignee_id AND d.status = 'open' AND d.id < tasks.id
) WHERE status = 'open';
CREATE UNIQUE INDEX tasks_open_once_per_round ON tasks (instance_id, node_id, round, assignee_id)
    WHERE status = 'open';
-- Overdue work for the admins' instance list.
CREATE INDEX tasks_open_due_idx ON tasks (due_at) WHERE status = 'open' AND due_at IS NOT NULL;

-- 2. Where a stopped instance stopped, so admins can filter stopped instances by step; the
--    running and stopped lists page by id within a status.
ALTER TABLE process_instances ADD COLUMN stopped_node TEXT;
UPDATE process_instances SET stopped_node = state->'status'->>'node' WHERE status = 'stopped';
CREATE INDEX process_instances_status_id_idx ON process_instances (status, id);

-- 3. The engine names people by user id now; states saved earlier name them by username in
--    `approvers` and in every signer of an open step. Rewrite both to ids (a name nobody has
--    any more is left as it is: it never matches a task again, as before).
UPDATE process_instances SET state = jsonb_set(state, '{approvers}', COALESCE((
    SELECT jsonb_agg(to_jsonb(COALESCE(u.id, a.v)) ORDER BY a.n)
    FROM jsonb_array_elements_text(state->'approvers') WITH ORDINALITY a(v, n)
    LEFT JOIN users u ON u.username = a.v
), '[]'::jsonb)) WHERE jsonb_typeof(state->'approvers') = 'array';

UPDATE process_instances SET state = jsonb_set(state, '{tokens}', COALESCE((
    SELECT jsonb_agg(CASE WHEN t.v->'wait'->>'for' = 'human'
        THEN jsonb_set(t.v, '{wait,seats}', COALESCE((
            SELECT jsonb_agg(jsonb_set(s.v, '{chain}', COALESCE((
                SELECT jsonb_agg(jsonb_set(c.v, '{user}',
                    to_jsonb(COALESCE(u.id, c.v->>'user'))) ORDER BY c.n)
                FROM jsonb_array_elements(s.v->'chain') WITH ORDINALITY c(v, n)
                LEFT JOIN users u ON u.username = c.v->>'user'
            ), '[]'::jsonb)) ORDER BY s.n)
            FROM jsonb_array_elements(t.v->'wait'->'seats') WITH ORDINALITY s(v, n)
        ), '[]'::jsonb))
        ELSE t.v END ORDER BY t.n)
    FROM jsonb_array_elements(state->'tokens') WITH ORDINALITY t(v, n)
), '[]'::jsonb)) WHERE jsonb_typeof(state->'tokens') = 'array';
