-- Plans that stay right however much work piles up, whether or not the planner's statistics
-- have caught up with it. Statistics taken while few tasks were open or few timers pending
-- make a partial index over open tasks or pending timers look empty, and an empty-looking
-- index is the cheapest thing to scan whole: the inbox and the per-key timer updates then
-- read every open task or pending timer (measured: 43–140 ms at 100k instead of 0.1 ms).
-- Each hot statement is given one index that matches it exactly, and no other index it could
-- be mistaken for.

-- 1. Open tasks. Every statement on open tasks (the inbox, deciding one task by instance and
--    key) says `status = 'open'`, so each could use any index over open tasks only: the inbox
--    then scanned `tasks_open_once_per_round` whole and sorted, and with an inbox index over
--    open tasks only, deciding one task scanned that. So no index of open tasks only is left
--    for them: the inbox reads `tasks_assignee_status_idx`, one task the unique
--    (instance_id, key). `tasks_open_once_per_round` is there to refuse a second open task,
--    never to be read: its extra term is always true (`round` is NOT NULL) and no statement
--    states it, so no statement can use it.
DROP INDEX tasks_open_once_per_round;
CREATE UNIQUE INDEX tasks_open_once_per_round ON tasks (instance_id, node_id, round, assignee_id)
    WHERE status = 'open' AND round IS NOT NULL;

-- 2. Due timers, oldest first. The predicate is written as one COALESCE term that only the
--    due-timer statements state: the updates of one timer by (instance, key) say
--    `fired_at IS NULL AND cancelled_at IS NULL`, which cannot prove it, so they can only use
--    the unique (instance_id, key) index.
DROP INDEX timers_due_idx;
CREATE INDEX timers_due_idx ON timers (fire_at, id) WHERE COALESCE(fired_at, cancelled_at) IS NULL;
