-- Trading partners per tenant, control numbers per tenant and trading partner, and the delivery of
-- each batch's file over the partner's transport with its attempts.

-- A tenant's trading partners (clearinghouses), as set over gRPC; a tenant without any uses the
-- configured default. `settings` is the TradingPartner as JSON (no secrets: the transport names
-- the files or variables that hold them).
CREATE TABLE trading_partners (
    tenant_id  TEXT        NOT NULL,
    partner_id TEXT        NOT NULL,
    settings   JSONB       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id)
);

ALTER TABLE control_numbers ADD COLUMN partner_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE control_numbers DROP CONSTRAINT control_numbers_pkey;
ALTER TABLE control_numbers ADD PRIMARY KEY (tenant_id, partner_id);

ALTER TABLE claims DROP CONSTRAINT claims_state_check;
ALTER TABLE claims ADD CONSTRAINT claims_state_check CHECK (state IN (
    'pending', 'submitted', 'sent', 'accepted', 'rejected_by_clearinghouse', 'rejected_by_payer', 'held'));
ALTER TABLE claims ADD COLUMN partner_id TEXT;

-- delivery: pending (committed, not yet at the partner: `attempts`, `last_error` and
-- `next_attempt_at` say where it is), sent (`written_at` is when, `destination` where), or failed
-- (an error retrying cannot fix, e.g. the partner refused our key; an operator retries it).
ALTER TABLE batches
    ADD COLUMN partner_id      TEXT        NOT NULL DEFAULT 'default',
    ADD COLUMN delivery        TEXT        NOT NULL DEFAULT 'pending'
        CHECK (delivery IN ('pending', 'sent', 'failed')),
    ADD COLUMN attempts        INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN last_error      TEXT,
    ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN destination     TEXT;
UPDATE batches SET delivery = 'sent', attempts = 1 WHERE written_at IS NOT NULL;
DROP INDEX batches_unwritten;
CREATE INDEX batches_undelivered ON batches (tenant_id, next_attempt_at) WHERE delivery = 'pending';
DROP INDEX batches_group;
CREATE INDEX batches_group ON batches (tenant_id, partner_id, group_control_number);

-- Inbound files are taken from the partner's transport and kept here (their content too), before
-- they are archived on the partner's side.
ALTER TABLE ack_files ADD COLUMN partner_id TEXT NOT NULL DEFAULT 'default', ADD COLUMN content BYTEA;
ALTER TABLE ack_failures ADD COLUMN partner_id TEXT NOT NULL DEFAULT 'default', ADD COLUMN content BYTEA;
-- Unmatched acknowledgements (unknown claim or batch, unreadable files) wait for an operator:
-- resolved_at and resolved_by say who looked at them.
ALTER TABLE ack_items ADD COLUMN resolved_at TIMESTAMPTZ, ADD COLUMN resolved_by TEXT, ADD COLUMN resolution TEXT;
ALTER TABLE ack_failures ADD COLUMN resolved_at TIMESTAMPTZ, ADD COLUMN resolved_by TEXT, ADD COLUMN resolution TEXT;
CREATE INDEX ack_items_unmatched ON ack_items (tenant_id, created_at)
    WHERE outcome IN ('unknown_claim', 'unknown_batch') AND resolved_at IS NULL;
