-- The coder's queue, each tenant's licensed CPT file and coding settings.

-- Encounters waiting for a coder: their codes failed validation, or came only from note
-- suggestions below the tenant's confidence. One row per claim; a later encounter event for the
-- same claim reopens it.
CREATE TABLE review_queue (
    tenant_id              TEXT        NOT NULL,
    claim_id               TEXT        NOT NULL,
    encounter_id           TEXT        NOT NULL,
    -- open, claimed (a coder took it) or resolved (coded and sent on).
    state                  TEXT        NOT NULL CHECK (state IN ('open', 'claimed', 'resolved')),
    -- The encounter as it arrived (rcm.common.v1.Encounter, protobuf).
    encounter              BYTEA       NOT NULL,
    -- Why it waits: rcm.events.v1.CodingReviewRequired (findings, suggestions), protobuf.
    review                 BYTEA       NOT NULL,
    estimated_charge_cents BIGINT      NOT NULL DEFAULT 0,
    service_date           TEXT        NOT NULL DEFAULT '',
    -- The event chain it belongs to, so the claim.coded a coder's resolution emits continues it.
    correlation_id         TEXT        NOT NULL,
    cause_event_id         TEXT        NOT NULL,
    queued_at              TIMESTAMPTZ NOT NULL,
    claimed_by             TEXT,
    claimed_at             TIMESTAMPTZ,
    resolved_by            TEXT,
    resolved_at            TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE INDEX review_queue_waiting ON review_queue (tenant_id, state, queued_at);

-- Every action on the queue: who did what, when.
CREATE TABLE review_actions (
    id        BIGSERIAL   PRIMARY KEY,
    tenant_id TEXT        NOT NULL,
    claim_id  TEXT        NOT NULL,
    -- queued, claimed, released, resolve_refused, resolved.
    action    TEXT        NOT NULL,
    actor     TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    -- Rule ids, codes or a coder's note; no patient data.
    detail    TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX review_actions_claim ON review_actions (tenant_id, claim_id, id);

-- A tenant's licensed CPT file: with one loaded, CPT codes are checked against it.
CREATE TABLE licensed_cpt (
    tenant_id   TEXT NOT NULL,
    code        TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

-- Files an operator loaded for a tenant (licensed CPT, fee schedule): what, how many rows, who, when.
CREATE TABLE tenant_files (
    tenant_id TEXT        NOT NULL,
    kind      TEXT        NOT NULL CHECK (kind IN ('cpt', 'fee_schedule')),
    rows      INTEGER     NOT NULL,
    loaded_by TEXT        NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

-- Per-tenant coding settings; a tenant without a row uses the configured defaults.
CREATE TABLE coding_settings (
    tenant_id                 TEXT        PRIMARY KEY,
    auto_code_min_confidence  REAL        NOT NULL CHECK (auto_code_min_confidence > 0 AND auto_code_min_confidence <= 1),
    always_review_suggestions BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_by                TEXT        NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL
);
