-- Coding's tables. Every row carries tenant_id; money is BIGINT cents.

-- Each tenant's fee schedule: the billed charge for one unit of a procedure code with a modifier
-- (empty for none). A tenant with no rows gets the default schedule on first use.
CREATE TABLE fee_schedule (
    tenant_id      TEXT   NOT NULL,
    procedure_code TEXT   NOT NULL,
    modifier       TEXT   NOT NULL DEFAULT '',
    charge_cents   BIGINT NOT NULL CHECK (charge_cents >= 0),
    PRIMARY KEY (tenant_id, procedure_code, modifier)
);

-- Each claim's coding state.
CREATE TABLE coded_claims (
    tenant_id          TEXT        NOT NULL,
    claim_id           TEXT        NOT NULL,
    encounter_id       TEXT        NOT NULL,
    -- "coded" or "needs_coding".
    state              TEXT        NOT NULL,
    total_charge_cents BIGINT      NOT NULL DEFAULT 0,
    -- Rule ids of the findings (errors and warnings), in order.
    rule_ids           TEXT[]      NOT NULL DEFAULT '{}',
    -- The coded claim (rcm.common.v1.Claim), protobuf-encoded; NULL while it needs coding.
    claim              BYTEA,
    -- The EncounterReceived event it answers.
    event_id           UUID        NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE INDEX coded_claims_state ON coded_claims (tenant_id, state);
