-- Sign-in with OpenID Connect (issue 11, PostgreSQL dialect): which provider account (issuer
-- and subject, stable for the account's life at the provider) is which Formwork user. A user
-- has at most one account per provider, so another provider account claiming the same username
-- or e-mail later cannot take the user over.

CREATE TABLE external_identities (
    issuer     TEXT COLLATE "C" NOT NULL,
    subject    TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX external_identities_user_idx ON external_identities (issuer, user_id);
CREATE INDEX users_email_lower_idx ON users (lower(email));
