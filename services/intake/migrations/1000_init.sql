-- Intake's tables. Every row carries tenant_id; money is BIGINT cents.

-- Encounters as submitted, once per (tenant, encounter id), each with the claim it started.
CREATE TABLE encounters (
    tenant_id    TEXT        NOT NULL,
    encounter_id TEXT        NOT NULL,
    claim_id     UUID        NOT NULL,
    -- "grpc" or "fhir".
    source       TEXT        NOT NULL,
    -- The rcm.common.v1.Encounter as taken (with intake's findings), protobuf-encoded.
    encounter    BYTEA       NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, encounter_id),
    UNIQUE (tenant_id, claim_id)
);

-- The claim history: every event of a claim's life, as the bus carried it.
CREATE TABLE claim_history (
    id         BIGSERIAL   PRIMARY KEY,
    tenant_id  TEXT        NOT NULL,
    claim_id   TEXT        NOT NULL,
    -- The state the event stands for (not necessarily the claim's current state).
    state      TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    event_type TEXT        NOT NULL,
    event_id   UUID        NOT NULL,
    producer   TEXT        NOT NULL,
    -- Ids, rule ids, file names and amounts only: no patient data.
    detail     TEXT        NOT NULL,
    UNIQUE (tenant_id, event_id)
);
CREATE INDEX claim_history_claim ON claim_history (tenant_id, claim_id, at, id);

-- Each claim's current state (it only moves forward) and its money.
CREATE TABLE claims (
    tenant_id                    TEXT        NOT NULL,
    claim_id                     TEXT        NOT NULL,
    state                        TEXT        NOT NULL,
    -- When the event that set the state happened, and what it said.
    state_at                     TIMESTAMPTZ NOT NULL,
    state_event_id               UUID        NOT NULL,
    detail                       TEXT        NOT NULL,
    billed_cents                 BIGINT      NOT NULL DEFAULT 0,
    paid_cents                   BIGINT      NOT NULL DEFAULT 0,
    adjusted_cents               BIGINT      NOT NULL DEFAULT 0,
    patient_responsibility_cents BIGINT      NOT NULL DEFAULT 0,
    -- The payer denied the claim at least once.
    denied                       BOOLEAN     NOT NULL DEFAULT FALSE,
    last_event_at                TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE INDEX claims_state ON claims (tenant_id, state);
