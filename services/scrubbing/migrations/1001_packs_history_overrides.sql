-- Rule packs, the claim's scrub history, services sent (duplicates, NCCI across claims), overrides.

-- The claim as last scrubbed, for Rescrub, overrides and `rcm scrub replay`; where it came from;
-- when it was first scrubbed; whether scrubbing.claim_scrubbed was sent for it.
ALTER TABLE scrub_results
    ADD COLUMN claim BYTEA,
    ADD COLUMN correlation_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN first_scrubbed_at TIMESTAMPTZ,
    ADD COLUMN released BOOLEAN NOT NULL DEFAULT false;
UPDATE scrub_results SET first_scrubbed_at = updated_at, released = (state = 'scrubbed');
ALTER TABLE scrub_results ALTER COLUMN first_scrubbed_at SET NOT NULL;
CREATE INDEX scrub_results_first ON scrub_results (tenant_id, first_scrubbed_at);

-- Every scrub of a claim with its findings (JSON: rule id, severity, field, line, message,
-- source, pack, override), oldest first.
CREATE TABLE scrub_runs (
    id         BIGSERIAL   PRIMARY KEY,
    tenant_id  TEXT        NOT NULL,
    claim_id   TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    -- "claim_coded", "override" or "rescrub".
    trigger    TEXT        NOT NULL,
    -- "scrubbed" or "rejected".
    state      TEXT        NOT NULL,
    findings   JSONB       NOT NULL,
    -- id@version of each pack applied.
    packs      TEXT[]      NOT NULL
);
CREATE INDEX scrub_runs_claim ON scrub_runs (tenant_id, claim_id, id);

-- The lines of claims sent on (scrubbing.claim_scrubbed), by patient: what later claims are
-- checked against for duplicates and for NCCI edits across claims. The patient is a SHA-256 of
-- their id (or payer, member id and birth date), not the id.
CREATE TABLE sent_services (
    tenant_id      TEXT        NOT NULL,
    claim_id       TEXT        NOT NULL,
    line_no        INTEGER     NOT NULL,
    patient_key    TEXT        NOT NULL,
    billing_npi    TEXT        NOT NULL,
    provider_npi   TEXT        NOT NULL,
    service_date   DATE        NOT NULL,
    procedure_code TEXT        NOT NULL,
    modifiers      TEXT[]      NOT NULL,
    -- Decimal units as sent ("1", "0.5").
    units          TEXT        NOT NULL,
    sent_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id, line_no)
);
CREATE INDEX sent_services_patient ON sent_services (tenant_id, patient_key, service_date);

-- Every version of every declarative pack loaded; the active one per tenant, payer ('' for the
-- tenant's own) and pack id is the one in use.
CREATE TABLE rule_packs (
    tenant_id  TEXT        NOT NULL,
    payer_id   TEXT        NOT NULL,
    pack_id    TEXT        NOT NULL,
    version    TEXT        NOT NULL,
    text       TEXT        NOT NULL,
    loaded_at  TIMESTAMPTZ NOT NULL,
    loaded_by  TEXT        NOT NULL,
    active     BOOLEAN     NOT NULL,
    PRIMARY KEY (tenant_id, payer_id, pack_id, version)
);
CREATE UNIQUE INDEX rule_packs_active ON rule_packs (tenant_id, payer_id, pack_id) WHERE active;

-- Bumped whenever a tenant's packs change, so every process running scrubbing reloads them.
CREATE TABLE pack_generations (
    tenant_id  TEXT   PRIMARY KEY,
    generation BIGINT NOT NULL
);

-- A biller's override of a rule's finding(s) on a claim.
CREATE TABLE finding_overrides (
    id        BIGSERIAL   PRIMARY KEY,
    tenant_id TEXT        NOT NULL,
    claim_id  TEXT        NOT NULL,
    rule_id   TEXT        NOT NULL,
    -- '' for every finding of the rule on the claim.
    field     TEXT        NOT NULL,
    reason    TEXT        NOT NULL,
    who       TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX finding_overrides_claim ON finding_overrides (tenant_id, claim_id, id);
