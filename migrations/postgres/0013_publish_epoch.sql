-- The publish epoch: one counter every publish moves in its own transaction. A request reads
-- it with its session (one statement), so a server knows whether the latest versions it holds
-- are still the latest without asking per app; several instances agree without messaging.
CREATE TABLE publish_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO publish_epoch (id, epoch) VALUES (1, 1);
