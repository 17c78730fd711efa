-- Service users (issue 11, PostgreSQL dialect): accounts that programs act as through API
-- tokens. They never sign in with a password (their stored hash is no argon2 string, so no
-- password verifies against it) and an admin issues and revokes their tokens. A row here marks
-- a user as one; it goes with its user.
CREATE TABLE service_users (
    user_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT COLLATE "C",
    created_at TIMESTAMPTZ NOT NULL
);
