-- Plans as data, seeded with PRODUCT.md's defaults; operators edit them
-- with `witzo admin plan`. NULL limits are unlimited; features are 0/1.
-- `price_cents` is per month (a year costs ten months); NULL is "custom".
-- `price_monthly`/`price_yearly` are the payment provider's price ids.
CREATE TABLE plans (
    id                  TEXT    PRIMARY KEY,
    name                TEXT    NOT NULL,
    position            INTEGER  NOT NULL,
    price_cents         INTEGER,
    conversations       INTEGER,
    pages               INTEGER,
    documents           INTEGER,
    leads               INTEGER,
    widgets             INTEGER,
    lead_form_fallback  INTEGER  NOT NULL DEFAULT 0,
    follow_up_email     INTEGER  NOT NULL DEFAULT 0,
    lead_webhook        INTEGER  NOT NULL DEFAULT 0,
    auto_rescrape       INTEGER  NOT NULL DEFAULT 0,
    white_label         INTEGER  NOT NULL DEFAULT 0,
    api_keys            INTEGER  NOT NULL DEFAULT 0,
    price_monthly       TEXT    NOT NULL DEFAULT '',
    price_yearly        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO plans (id, name, position, price_cents, conversations, pages, documents, leads, widgets,
                   lead_form_fallback, follow_up_email, lead_webhook, auto_rescrape, white_label, api_keys)
VALUES ('free', 'Free', 0, 0, 100, 15, 4, 3, 1, 0, 0, 0, 0, 0, 0),
       ('basic', 'Basic', 1, 2000, 1000, 30, 10, 10, 1, 1, 1, 1, 1, 0, 0),
       ('standard', 'Standard', 2, 6000, 5000, 100, 50, NULL, 3, 1, 1, 1, 1, 0, 0),
       ('enterprise', 'Enterprise', 3, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1, 1);

-- The subscription: its status, whether it ends with the current cycle,
-- and the payment provider's ids for the customer and the subscription.
ALTER TABLE accounts ADD COLUMN subscription_status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE accounts ADD COLUMN cancel_at_period_end INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN billing_customer TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN billing_subscription TEXT NOT NULL DEFAULT '';

-- Payment-provider webhooks already processed, so a replay changes nothing.
CREATE TABLE billing_events (
    provider     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    account_id   INTEGER,
    outcome      TEXT    NOT NULL,
    received_at  INTEGER  NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Over a lowered plan limit: pages and documents stay stored and answer,
-- but are not re-processed; leads stay stored but are locked.
ALTER TABLE pages ADD COLUMN over_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
