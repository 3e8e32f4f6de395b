-- The remittance service: the claims it expects an 835 for, the 835 files it read, and what each
-- claim of those files posted. Money is integer cents; every row names its tenant.

-- A submitted claim, from its submission.claim_submitted event, and where its remittance left it.
CREATE TABLE expected_claims (
    tenant_id              TEXT        NOT NULL,
    claim_id               TEXT        NOT NULL,
    -- CLM01, echoed by the payer as CLP01.
    patient_control_number TEXT        NOT NULL,
    payer_id               TEXT        NOT NULL,
    billed_cents           BIGINT      NOT NULL,
    batch_id               TEXT        NOT NULL,
    -- The 837 file the claim went out in.
    file_name              TEXT        NOT NULL,
    -- The chain: the claim's correlation id, the ClaimSubmitted event (the cause of what remittance
    -- emits for the claim) and its trace context.
    correlation_id         TEXT        NOT NULL,
    submitted_event_id     TEXT        NOT NULL,
    traceparent            TEXT,
    submissions            INTEGER     NOT NULL DEFAULT 1,
    -- expected, paid, partially_paid, denied, reversed.
    state                  TEXT        NOT NULL DEFAULT 'expected'
                           CHECK (state IN ('expected', 'paid', 'partially_paid', 'denied', 'reversed')),
    last_posting_id        BIGINT,
    submitted_at           TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, claim_id)
);
CREATE INDEX expected_claims_pcn ON expected_claims (tenant_id, patient_control_number, submitted_at DESC);

-- The claim's lines as billed.
CREATE TABLE expected_lines (
    tenant_id      TEXT    NOT NULL,
    claim_id       TEXT    NOT NULL,
    line_no        INTEGER NOT NULL,
    line_id        TEXT    NOT NULL,
    procedure_code TEXT    NOT NULL,
    modifiers      TEXT[]  NOT NULL,
    units          TEXT    NOT NULL,
    charge_cents   BIGINT  NOT NULL,
    service_date   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, claim_id, line_no),
    FOREIGN KEY (tenant_id, claim_id) REFERENCES expected_claims (tenant_id, claim_id) ON DELETE CASCADE
);

-- Every 835 file read from a tenant's inbound directory. A file whose content (SHA-256) was processed
-- once is skipped when it comes again; a file that cannot be read is recorded as failed with the error.
CREATE TABLE era_files (
    id          BIGSERIAL   PRIMARY KEY,
    tenant_id   TEXT        NOT NULL,
    file_name   TEXT        NOT NULL,
    sha256      TEXT        NOT NULL,
    bytes       BIGINT      NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('processed', 'failed')),
    error       TEXT,
    -- Transaction sets (BPR/TRN), claims (CLP) posted, not matched, and already posted from another file.
    payments    INTEGER     NOT NULL DEFAULT 0,
    claims      INTEGER     NOT NULL DEFAULT 0,
    unmatched   INTEGER     NOT NULL DEFAULT 0,
    duplicates  INTEGER     NOT NULL DEFAULT 0,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX era_files_once ON era_files (tenant_id, sha256) WHERE status = 'processed';

-- The reader's findings about a file (envelope counts, balancing, skipped segments).
CREATE TABLE era_findings (
    tenant_id TEXT    NOT NULL,
    file_id   BIGINT  NOT NULL REFERENCES era_files (id),
    ordinal   INTEGER NOT NULL,
    severity  TEXT    NOT NULL,
    code      TEXT    NOT NULL,
    message   TEXT    NOT NULL,
    segment   INTEGER,
    PRIMARY KEY (file_id, ordinal)
);

-- One payment (an 835 transaction set: BPR and TRN).
CREATE TABLE era_payments (
    id                  BIGSERIAL PRIMARY KEY,
    tenant_id           TEXT      NOT NULL,
    file_id             BIGINT    NOT NULL REFERENCES era_files (id),
    control_number      TEXT      NOT NULL,
    -- TRN02: the check or EFT trace number.
    trace_number        TEXT      NOT NULL,
    payer_name          TEXT      NOT NULL,
    payer_id            TEXT,
    amount_cents        BIGINT    NOT NULL,
    credit_debit        TEXT      NOT NULL,
    method              TEXT      NOT NULL,
    payment_date        DATE
);

-- PLB: provider-level adjustments of a payment (a positive amount reduces it).
CREATE TABLE era_provider_adjustments (
    tenant_id         TEXT   NOT NULL,
    payment_id        BIGINT NOT NULL REFERENCES era_payments (id),
    provider_id       TEXT   NOT NULL,
    fiscal_period_end DATE   NOT NULL,
    reason            TEXT   NOT NULL,
    reference         TEXT,
    amount_cents      BIGINT NOT NULL
);

-- What one CLP posted to a claim we expected.
CREATE TABLE postings (
    id                           BIGSERIAL   PRIMARY KEY,
    tenant_id                    TEXT        NOT NULL,
    file_id                      BIGINT      NOT NULL REFERENCES era_files (id),
    payment_id                   BIGINT      NOT NULL REFERENCES era_payments (id),
    -- 1-based position of the CLP in the file.
    claim_ordinal                INTEGER     NOT NULL,
    claim_id                     TEXT        NOT NULL,
    patient_control_number       TEXT        NOT NULL,
    -- CLP02 as sent; outcome by decide::adjudicate.
    claim_status                 TEXT        NOT NULL,
    outcome                      TEXT        NOT NULL CHECK (outcome IN ('paid', 'partially_paid', 'denied', 'reversed')),
    charge_cents                 BIGINT      NOT NULL,
    paid_cents                   BIGINT      NOT NULL,
    patient_responsibility_cents BIGINT      NOT NULL,
    adjusted_cents               BIGINT      NOT NULL,
    payer_claim_control_number   TEXT        NOT NULL,
    payment_trace                TEXT        NOT NULL,
    remark_codes                 TEXT[]      NOT NULL,
    -- The same claim answered the same way in the same payment, from whatever file: posted once.
    posting_key                  TEXT        NOT NULL,
    -- The event emitted (none for a reversal).
    event_id                     UUID,
    posted_at                    TIMESTAMPTZ NOT NULL,
    UNIQUE (file_id, claim_ordinal),
    UNIQUE (tenant_id, posting_key)
);
CREATE INDEX postings_claim ON postings (tenant_id, claim_id, posted_at DESC);

-- The service lines (SVC) of a posting.
CREATE TABLE posting_lines (
    tenant_id           TEXT    NOT NULL,
    posting_id          BIGINT  NOT NULL REFERENCES postings (id),
    line_no             INTEGER NOT NULL,
    -- REF*6R as echoed, and the billed line it answers (by that, or by procedure code).
    line_control_number TEXT,
    billed_line_id      TEXT,
    procedure_qualifier TEXT    NOT NULL,
    procedure_code      TEXT    NOT NULL,
    modifiers           TEXT[]  NOT NULL,
    charge_cents        BIGINT  NOT NULL,
    paid_cents          BIGINT  NOT NULL,
    units               TEXT,
    remark_codes        TEXT[]  NOT NULL,
    PRIMARY KEY (posting_id, line_no)
);

-- Every CAS adjustment of a posting: claim level (line_no NULL) and line level.
CREATE TABLE posting_adjustments (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    TEXT      NOT NULL,
    posting_id   BIGINT    NOT NULL REFERENCES postings (id),
    line_no      INTEGER,
    group_code   TEXT      NOT NULL,
    reason       TEXT      NOT NULL,
    amount_cents BIGINT    NOT NULL,
    quantity     TEXT
);
CREATE INDEX posting_adjustments_posting ON posting_adjustments (posting_id);

-- A CLP whose CLP01 matches no expected claim: kept whole (claim_json). When a claim with that patient
-- control number is submitted later, it is posted then (resolved_*); otherwise it waits for a person.
CREATE TABLE unmatched_claims (
    id                         BIGSERIAL   PRIMARY KEY,
    tenant_id                  TEXT        NOT NULL,
    file_id                    BIGINT      NOT NULL REFERENCES era_files (id),
    payment_id                 BIGINT      NOT NULL REFERENCES era_payments (id),
    claim_ordinal              INTEGER     NOT NULL,
    patient_control_number     TEXT        NOT NULL,
    claim_status               TEXT        NOT NULL,
    charge_cents               BIGINT      NOT NULL,
    paid_cents                 BIGINT      NOT NULL,
    payer_claim_control_number TEXT        NOT NULL,
    payment_trace              TEXT        NOT NULL,
    claim_json                 JSONB       NOT NULL,
    recorded_at                TIMESTAMPTZ NOT NULL,
    resolved_at                TIMESTAMPTZ,
    resolved_claim_id          TEXT,
    resolved_posting_id        BIGINT REFERENCES postings (id),
    UNIQUE (file_id, claim_ordinal)
);
CREATE INDEX unmatched_claims_open ON unmatched_claims (tenant_id, patient_control_number) WHERE resolved_at IS NULL;
