-- Background work (issue 10): the outbox becomes a queue of jobs claimed with a lease, with a
-- delivery log, cross-instance rate limits, automation rule runs, process timers claimed with
-- a lease, settings (the working-time calendar) and each user's notification channels.

CREATE TABLE jobs (
    id               TEXT COLLATE "C" PRIMARY KEY,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL,
    -- The idempotency id every effect of the job carries (X-Formwork-Event-Id, Message-ID);
    -- enqueuing a second job under an id that exists is a no-op.
    event_id         TEXT COLLATE "C" NOT NULL UNIQUE,
    state            TEXT NOT NULL
                     CHECK (state IN ('pending', 'running', 'retrying', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the job may next be claimed: its time, its retry, or while it runs the end of its
    -- lease, so one range of one index finds all claimable work.
    run_at           TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error_code  TEXT,
    last_error       TEXT,
    app_id           TEXT,
    record_id        TEXT COLLATE "C",
    rule_run_id      TEXT COLLATE "C",
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX jobs_claim_idx ON jobs (run_at) WHERE state IN ('pending', 'running', 'retrying');
CREATE INDEX jobs_state_idx ON jobs (state, id);
CREATE INDEX jobs_record_idx ON jobs (record_id) WHERE record_id IS NOT NULL;
CREATE INDEX jobs_rule_run_idx ON jobs (rule_run_id) WHERE rule_run_id IS NOT NULL;

INSERT INTO jobs (id, kind, payload, event_id, state, attempts, run_at, last_error, created_at,
                  updated_at, finished_at)
SELECT id, kind, payload, id, CASE WHEN done_at IS NULL THEN 'pending' ELSE 'done' END,
       attempts, available_at, last_error, created_at, coalesce(done_at, created_at), done_at
FROM outbox;
DROP TABLE outbox;

-- One row per try of an outgoing delivery (mail, robot, webhook), written with the job's
-- outcome in one transaction. `destination` is a fingerprint, never a token or secret.
CREATE TABLE deliveries (
    id          TEXT COLLATE "C" PRIMARY KEY,
    job_id      TEXT COLLATE "C" NOT NULL,
    event_id    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    destination TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'skipped')),
    code        TEXT,
    message     TEXT,
    record_id   TEXT COLLATE "C",
    rule_run_id TEXT COLLATE "C"
);
CREATE INDEX deliveries_job_idx ON deliveries (job_id, id);
CREATE INDEX deliveries_record_idx ON deliveries (record_id, id) WHERE record_id IS NOT NULL;
CREATE INDEX deliveries_rule_run_idx ON deliveries (rule_run_id, id)
    WHERE rule_run_id IS NOT NULL;

-- Send slots reserved per destination (a robot allows 20 messages a minute), shared by every
-- instance. A reservation locks the destination's row first, so reservations for one
-- destination queue behind each other; a job keeps its slot across a retry.
CREATE TABLE rate_destinations (
    destination TEXT PRIMARY KEY
);
CREATE TABLE rate_slots (
    destination TEXT NOT NULL REFERENCES rate_destinations (destination),
    slot_at     TIMESTAMPTZ NOT NULL,
    job_id      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (destination, job_id)
);
CREATE INDEX rate_slots_time_idx ON rate_slots (destination, slot_at);

-- One run of an automation rule whose condition held (or that failed or was stopped), with
-- the outcome of each action. Outgoing deliveries it caused are jobs and deliveries naming it.
CREATE TABLE rule_runs (
    id          TEXT COLLATE "C" PRIMARY KEY,
    app_id      TEXT NOT NULL,
    app_version BIGINT NOT NULL,
    rule_id     TEXT NOT NULL,
    record_id   TEXT COLLATE "C",
    trigger     TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'failed', 'stopped')),
    message     JSONB,
    actions     JSONB NOT NULL,
    job_id      TEXT COLLATE "C" NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    -- A job runs each rule once: a replay of the job cannot add a second run.
    UNIQUE (job_id, rule_id)
);
CREATE INDEX rule_runs_record_idx ON rule_runs (record_id, id) WHERE record_id IS NOT NULL;
CREATE INDEX rule_runs_rule_idx ON rule_runs (app_id, rule_id, id);

-- Process timers are claimed with a lease like jobs; firing still consumes them in the step.
ALTER TABLE timers ADD COLUMN lease_owner TEXT;
ALTER TABLE timers ADD COLUMN lease_expires_at TIMESTAMPTZ;
ALTER TABLE timers ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN last_error TEXT;

-- Server-wide settings edited by admins, one JSON document per key (`calendar`).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- The channels a user receives notifications on besides in-app (always on).
CREATE TABLE notification_settings (
    user_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email      BOOLEAN NOT NULL,
    lang       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
