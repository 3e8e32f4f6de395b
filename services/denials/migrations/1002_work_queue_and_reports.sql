-- The work queue's actions (assign, notes, appeals, write-offs, billing the patient) with an
-- append-only history, the classification's new facts (recommended action, expected recovery,
-- appeal deadline, code flags), and the reporting projection built from events. Money is cents.

ALTER TABLE work_items
    -- The claim's payer and claim filing indicator (SBR09) as submitted, when known.
    ADD COLUMN payer_id                TEXT    NOT NULL DEFAULT '',
    ADD COLUMN claim_filing            TEXT    NOT NULL DEFAULT '',
    -- correct_and_resubmit, appeal, bill_patient, write_off.
    ADD COLUMN recommended_action      TEXT    NOT NULL DEFAULT 'appeal',
    ADD COLUMN expected_recovery_cents BIGINT  NOT NULL DEFAULT 0,
    -- When the remittance was posted, the last day to appeal and the rule that set it.
    ADD COLUMN remit_date              DATE,
    ADD COLUMN appeal_deadline         DATE,
    ADD COLUMN appeal_rule             TEXT    NOT NULL DEFAULT '',
    -- Codes not in the shipped CARC/RARC lists or not in effect on the remit date, and the lists' version.
    ADD COLUMN code_flags              TEXT[]  NOT NULL DEFAULT '{}',
    ADD COLUMN codes_version           TEXT    NOT NULL DEFAULT '',
    ADD COLUMN assignee                TEXT,
    -- written_off, billed_to_patient, appeal_won; what was written off and why.
    ADD COLUMN resolution              TEXT,
    ADD COLUMN resolved_at             TIMESTAMPTZ,
    ADD COLUMN written_off_cents       BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN write_off_reason        TEXT;
UPDATE work_items SET remit_date = created_at::date, expected_recovery_cents = priority::bigint * 100;
ALTER TABLE work_items ALTER COLUMN remit_date SET NOT NULL;
ALTER TABLE work_items ADD CONSTRAINT work_items_status CHECK
    (status IN ('open', 'in_appeal', 'correction_requested', 'written_off', 'billed_to_patient', 'appeal_won'));
CREATE INDEX work_items_active ON work_items (tenant_id, status) WHERE status IN ('open', 'in_appeal');

-- Every action on a work item, who took it and when: append-only (the trigger refuses UPDATE and
-- DELETE). `detail` holds ids, codes and amounts only; a note's free text is in `note`, which
-- never leaves this database.
CREATE TABLE work_item_actions (
    sequence     BIGSERIAL   PRIMARY KEY,
    tenant_id    TEXT        NOT NULL,
    work_item_id UUID        NOT NULL REFERENCES work_items (work_item_id),
    -- queued, assigned, note, correction_requested, appeal_filed, appeal_outcome, written_off,
    -- billed_to_patient.
    action       TEXT        NOT NULL,
    actor        TEXT        NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    detail       TEXT        NOT NULL DEFAULT '',
    note         TEXT,
    event_id     UUID
);
CREATE INDEX work_item_actions_item ON work_item_actions (tenant_id, work_item_id, sequence);

CREATE FUNCTION work_item_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'work_item_actions is append-only';
END $$;
CREATE TRIGGER work_item_actions_append_only BEFORE UPDATE OR DELETE ON work_item_actions
    FOR EACH ROW EXECUTE FUNCTION work_item_actions_append_only();

-- The history of the items queued before this migration.
INSERT INTO work_item_actions (tenant_id, work_item_id, action, actor, at, detail)
SELECT tenant_id, work_item_id, 'queued', 'denials', created_at, category || ' ' || array_to_string(reason_codes, ' ')
FROM work_items ORDER BY created_at, work_item_id;
INSERT INTO work_item_actions (tenant_id, work_item_id, action, actor, at, detail, note, event_id)
SELECT tenant_id, work_item_id, 'correction_requested', correction_requested_by, correction_requested_at,
       'frequency ' || correction_frequency_code || ' version ' || correction_version, correction_note, correction_event_id
FROM work_items WHERE correction_requested_at IS NOT NULL ORDER BY correction_requested_at, work_item_id;

-- Appeals: the packet as filed and the payer's answer.
CREATE TABLE appeals (
    appeal_id       UUID        PRIMARY KEY,
    tenant_id       TEXT        NOT NULL,
    work_item_id    UUID        NOT NULL REFERENCES work_items (work_item_id),
    claim_id        TEXT        NOT NULL,
    level           INTEGER     NOT NULL,
    reason_codes    TEXT[]      NOT NULL,
    supporting_text TEXT        NOT NULL,
    attachments     TEXT[]      NOT NULL,
    filed_by        TEXT        NOT NULL,
    filed_at        TIMESTAMPTZ NOT NULL,
    deadline        DATE,
    event_id        UUID        NOT NULL,
    outcome         TEXT        CHECK (outcome IN ('won', 'lost', 'partial')),
    recovered_cents BIGINT,
    outcome_by      TEXT,
    outcome_at      TIMESTAMPTZ,
    UNIQUE (work_item_id, level)
);

-- The reporting projection: what the claim's events say, one row per claim.
CREATE TABLE report_claims (
    tenant_id          TEXT        NOT NULL,
    claim_id           TEXT        NOT NULL,
    payer_id           TEXT        NOT NULL DEFAULT '',
    claim_filing       TEXT        NOT NULL DEFAULT '',
    service_date       DATE,
    charge_cents       BIGINT      NOT NULL DEFAULT 0,
    first_submitted_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, claim_id)
);

-- Each scrubbing result (scrubbing.claim_scrubbed / claim_rejected), for the clean-claim rate.
CREATE TABLE scrub_results (
    tenant_id TEXT        NOT NULL,
    event_id  UUID        NOT NULL,
    claim_id  TEXT        NOT NULL,
    passed    BOOLEAN     NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX scrub_results_at ON scrub_results (tenant_id, at);

-- The money of each adjudication (existing rows predate it: zeros).
ALTER TABLE adjudications
    ADD COLUMN charge_cents                 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN paid_cents                   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN patient_responsibility_cents BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN contractual_cents            BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN denied_cents                 BIGINT NOT NULL DEFAULT 0,
    -- GROUP-CARC of each denial adjustment and its amount, side by side.
    ADD COLUMN denial_codes                 TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN denial_code_cents            BIGINT[] NOT NULL DEFAULT '{}';
