-- The directory's epoch: one counter that every change to users, departments, roles or role
-- members bumps in its own transaction. Each server keeps one immutable copy of the whole
-- directory keyed by the epoch it was read at, and reloads it only when one cheap read of this
-- row shows the epoch moved, so several instances agree without messaging each other.
CREATE TABLE directory_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO directory_epoch (id, epoch) VALUES (1, 1);
