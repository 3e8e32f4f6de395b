-- Tables every service database has: the outbox, the inbox and dead letters.
-- Runtime migrations use versions below 1000; each service's own start at 1000.

CREATE TABLE IF NOT EXISTS outbox (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    TEXT        NOT NULL,
    event_id     UUID        NOT NULL UNIQUE,
    subject      TEXT        NOT NULL,
    headers      JSONB       NOT NULL,
    payload      BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS inbox (
    consumer     TEXT        NOT NULL,
    event_id     UUID        NOT NULL,
    tenant_id    TEXT        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE IF NOT EXISTS dead_letters (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   TEXT        NOT NULL,
    consumer    TEXT        NOT NULL,
    subject     TEXT        NOT NULL,
    event_id    TEXT,
    event_type  TEXT,
    reason      TEXT        NOT NULL,
    deliveries  BIGINT      NOT NULL,
    payload     BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
