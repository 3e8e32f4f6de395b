-- The submission service's tables. Every row carries tenant_id; money is BIGINT cents.

-- Claims handed over by scrubbing, one row per tenant and claim (a redelivered or duplicated
-- ClaimScrubbed finds its row and adds nothing).
CREATE TABLE claims (
    tenant_id                  TEXT        NOT NULL,
    claim_id                   TEXT        NOT NULL,
    -- CLM01, echoed by payers in the 277CA (TRN*2) and the 835 (CLP01).
    patient_control_number     TEXT        NOT NULL,
    payer_id                   TEXT        NOT NULL,
    total_charge_cents         BIGINT      NOT NULL,
    -- The encoded rcm.common.v1.Claim as scrubbing passed it.
    claim                      BYTEA       NOT NULL,
    state                      TEXT        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'submitted', 'accepted', 'rejected_by_payer', 'held')),
    correlation_id             TEXT        NOT NULL,
    scrubbed_event_id          TEXT        NOT NULL,
    submitted_event_id         TEXT,
    batch_id                   UUID,
    payer_claim_control_number TEXT,
    ack_file                   TEXT,
    -- Why a claim could not be written as an 837P (field and reason, no values).
    held_reason                TEXT,
    received_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE UNIQUE INDEX claims_patient_control_number ON claims (tenant_id, patient_control_number);
CREATE INDEX claims_pending ON claims (tenant_id, received_at) WHERE state = 'pending';

-- The last control numbers used, per tenant (ISA13, GS06, ST02).
CREATE TABLE control_numbers (
    tenant_id       TEXT   PRIMARY KEY,
    interchange     BIGINT NOT NULL DEFAULT 0,
    functional_group BIGINT NOT NULL DEFAULT 0,
    transaction_set BIGINT NOT NULL DEFAULT 0
);

-- One 837P file per row, with its full text: a batch committed but not yet written to disk is
-- written (same name, same content) after a restart.
CREATE TABLE batches (
    tenant_id                  TEXT        NOT NULL,
    batch_id                   UUID        NOT NULL,
    payer_id                   TEXT        NOT NULL,
    file_name                  TEXT        NOT NULL,
    interchange_control_number BIGINT      NOT NULL,
    group_control_number       BIGINT      NOT NULL,
    transaction_control_number TEXT        NOT NULL,
    claim_count                INTEGER     NOT NULL,
    total_charge_cents         BIGINT      NOT NULL,
    content                    TEXT        NOT NULL,
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    written_at                 TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, batch_id),
    UNIQUE (tenant_id, file_name)
);
CREATE INDEX batches_unwritten ON batches (tenant_id) WHERE written_at IS NULL;
CREATE INDEX batches_group ON batches (tenant_id, group_control_number);

-- Acknowledgement files read, by content: the same file dropped again is skipped.
CREATE TABLE ack_files (
    tenant_id    TEXT        NOT NULL,
    file_name    TEXT        NOT NULL,
    sha256       TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    acks         INTEGER     NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, file_name, sha256)
);

-- Acknowledgement files that could not be read (moved to inbound/failed/).
CREATE TABLE ack_failures (
    tenant_id  TEXT        NOT NULL,
    file_name  TEXT        NOT NULL,
    sha256     TEXT        NOT NULL,
    kind       TEXT        NOT NULL,
    error      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, file_name, sha256)
);

-- What each acknowledgement said and what it did: one row per 999 transaction set or 277CA claim,
-- including those about claims or batches we do not know.
CREATE TABLE ack_items (
    id                     BIGSERIAL   PRIMARY KEY,
    tenant_id              TEXT        NOT NULL,
    file_name              TEXT        NOT NULL,
    sha256                 TEXT        NOT NULL,
    kind                   TEXT        NOT NULL,
    -- 277CA: the patient control number; 999: GS06/ST02 of our group and transaction set.
    reference              TEXT        NOT NULL,
    -- NULL when the acknowledgement names nothing of ours.
    claim_id               TEXT,
    outcome                TEXT        NOT NULL
        CHECK (outcome IN ('accepted', 'rejected', 'no_change', 'already_decided', 'unknown_claim', 'unknown_batch')),
    -- Codes only (STC, IK3/IK4/IK5, AK9).
    detail                 TEXT        NOT NULL DEFAULT '',
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ack_items_claim ON ack_items (tenant_id, claim_id);
