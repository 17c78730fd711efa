-- Rounds of process steps, admin operations on instances, and user ids in process states.
--
-- 1. Each task remembers the round of its node it belongs to (one entry into the node; returns
--    and loops start new rounds) and what it asks (`step`, or `resubmit` after 退回发起人).
--    The database itself refuses a second open task for one node, round and assignee. Open
--    tasks written before rounds existed all have round 0; where earlier releases opened a
--    node twice for one person (the return-into-a-branch defect), the later ones are
--    renumbered -1, -2, … rather than closed: the instance's state still refers to them, and
--    an admin can now cancel or move such an instance.
ALTER TABLE tasks ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
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
UPDATE process_instances SET stopped_node = json_extract(state, '$.status.node')
    WHERE status = 'stopped';
CREATE INDEX process_instances_status_id_idx ON process_instances (status, id);

-- 3. The engine names people by user id now; states saved earlier name them by username in
--    `approvers` and in every signer of an open step. Rewrite both to ids (a name nobody has
--    any more is left as it is: it never matches a task again, as before).
UPDATE process_instances SET state = json_set(state, '$.approvers', json((
    SELECT json_group_array(COALESCE(u.id, a.value) ORDER BY a.key)
    FROM json_each(process_instances.state, '$.approvers') a
    LEFT JOIN users u ON u.username = a.value
))) WHERE json_type(state, '$.approvers') = 'array';

UPDATE process_instances SET state = json_set(state, '$.tokens', json((
    SELECT json_group_array(json(CASE WHEN json_extract(t.value, '$.wait.for') = 'human'
        THEN json_set(t.value, '$.wait.seats', json((
            SELECT json_group_array(json(json_set(s.value, '$.chain', json((
                SELECT json_group_array(json(json_set(c.value, '$.user',
                    COALESCE(u.id, json_extract(c.value, '$.user')))) ORDER BY c.key)
                FROM json_each(s.value, '$.chain') c
                LEFT JOIN users u ON u.username = json_extract(c.value, '$.user')
            )))) ORDER BY s.key)
            FROM json_each(t.value, '$.wait.seats') s
        )))
        ELSE t.value END) ORDER BY t.key)
    FROM json_each(process_instances.state, '$.tokens') t
))) WHERE json_type(state, '$.tokens') = 'array';
