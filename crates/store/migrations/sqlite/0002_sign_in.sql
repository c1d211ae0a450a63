-- One-time codes sent by e-mail (sign-in, account deletion). Only a keyed
-- hash of the code is stored; a code is spent when used, voided by a newer
-- code, or out of attempts.
CREATE TABLE login_codes (
    id          INTEGER PRIMARY KEY,
    email       TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    spent_at    INTEGER
);
CREATE INDEX login_codes_by_email ON login_codes (email, purpose, created_at);

-- Identities at OpenID Connect providers, linked to accounts.
CREATE TABLE account_identities (
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX account_identities_by_account ON account_identities (account_id);

-- OpenID Connect sign-ins in progress: state (hashed), the browser they
-- belong to (hashed cookie), nonce and PKCE verifier. One-time, short-lived.
CREATE TABLE oidc_logins (
    state_hash    TEXT    PRIMARY KEY,
    browser_hash  TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
