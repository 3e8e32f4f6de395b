-- Scrubbing's tables. Every row carries tenant_id; money is BIGINT cents.

-- Each claim's latest scrub.
CREATE TABLE scrub_results (
    tenant_id          TEXT        NOT NULL,
    claim_id           TEXT        NOT NULL,
    patient_control_number TEXT    NOT NULL,
    -- "scrubbed" or "rejected".
    state              TEXT        NOT NULL,
    total_charge_cents BIGINT      NOT NULL,
    errors             INTEGER     NOT NULL,
    warnings           INTEGER     NOT NULL,
    -- Rule ids of the findings, in order.
    rule_ids           TEXT[]      NOT NULL DEFAULT '{}',
    -- The ClaimCoded event it answers.
    event_id           UUID        NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE INDEX scrub_results_state ON scrub_results (tenant_id, state);
