-- The denials service: its work queue, and every adjudication it has seen (for the denial-rate and
-- first-pass-yield report). Money is integer cents.

-- One item per denied or partially paid remittance of a claim.
CREATE TABLE work_items (
    work_item_id               UUID        PRIMARY KEY,
    tenant_id                  TEXT        NOT NULL,
    claim_id                   TEXT        NOT NULL,
    -- ERA file | payment trace | payer claim control number | claim status (decide::remittance_key).
    remittance_key             TEXT        NOT NULL,
    -- The remittance event the item was made from, and the claim's chain.
    source_event_id            UUID        NOT NULL,
    correlation_id             TEXT        NOT NULL,
    outcome                    TEXT        NOT NULL CHECK (outcome IN ('denied', 'partially_paid')),
    category                   TEXT        NOT NULL,
    priority                   INTEGER     NOT NULL,
    -- GROUP-CARC of each denial adjustment, then the remark codes.
    reason_codes               TEXT[]      NOT NULL,
    denied_cents               BIGINT      NOT NULL,
    charge_cents               BIGINT      NOT NULL,
    paid_cents                 BIGINT      NOT NULL,
    claim_status               TEXT        NOT NULL,
    payer_claim_control_number TEXT        NOT NULL,
    era_file                   TEXT        NOT NULL,
    payment_trace              TEXT        NOT NULL,
    -- open, then (by later work-queue actions) worked, resolved.
    status                     TEXT        NOT NULL DEFAULT 'open',
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, claim_id, remittance_key)
);
CREATE INDEX work_items_queue ON work_items (tenant_id, priority DESC, created_at, work_item_id) WHERE status = 'open';
CREATE INDEX work_items_claim ON work_items (tenant_id, claim_id, created_at DESC);

-- Every remittance outcome of a claim (paid, partially paid, denied), in the order posted.
CREATE TABLE adjudications (
    tenant_id      TEXT        NOT NULL,
    claim_id       TEXT        NOT NULL,
    remittance_key TEXT        NOT NULL,
    outcome        TEXT        NOT NULL CHECK (outcome IN ('paid', 'partially_paid', 'denied')),
    event_id       UUID        NOT NULL,
    -- When remittance posted it (the event's occurred_at).
    occurred_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id, remittance_key)
);
CREATE INDEX adjudications_order ON adjudications (tenant_id, occurred_at, event_id);
