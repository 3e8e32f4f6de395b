-- Issue 7: 835s taken through the trading partner's transport or uploaded over gRPC; payments held
-- when they do not balance and recognised when taken before (same payer TRN03 and trace TRN02);
-- each claim's money kept as a balance (billed - paid - adjusted, checked); reversals linked to the
-- posting they undo; PLB items posted to the tenant's provider ledger; lines that match no billed
-- line, and reversals that undo nothing of ours, in the unmatched queue with their candidates.

-- Where a file came from, and the content of one that could not be read (for an operator).
ALTER TABLE era_files ADD COLUMN source TEXT NOT NULL DEFAULT 'folder';
ALTER TABLE era_files ADD COLUMN partner_id TEXT;
ALTER TABLE era_files ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE era_files ADD COLUMN content BYTEA;

-- posted; held (does not balance: hold_reason); duplicate (the payer's trace was posted before:
-- duplicate_of). payer_key is TRN03, the payer's id in the reassociation trace.
ALTER TABLE era_payments ADD COLUMN status TEXT NOT NULL DEFAULT 'posted'
    CHECK (status IN ('posted', 'held', 'duplicate'));
ALTER TABLE era_payments ADD COLUMN payer_key TEXT NOT NULL DEFAULT '';
ALTER TABLE era_payments ADD COLUMN hold_reason TEXT;
ALTER TABLE era_payments ADD COLUMN duplicate_of BIGINT REFERENCES era_payments (id);
ALTER TABLE era_payments ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
-- The remittance (ST..SE) as read, for a held payment to be looked at and taken again.
ALTER TABLE era_payments ADD COLUMN remittance_json JSONB;
ALTER TABLE era_payments ADD COLUMN received_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE UNIQUE INDEX era_payments_once ON era_payments (tenant_id, payer_key, trace_number) WHERE status = 'posted';
CREATE INDEX era_payments_held ON era_payments (tenant_id, received_at DESC) WHERE status = 'held';

-- The claim's money over the postings to its current submission. The CHECK keeps the rule.
ALTER TABLE expected_claims ADD COLUMN paid_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE expected_claims ADD COLUMN adjusted_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE expected_claims ADD COLUMN patient_responsibility_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE expected_claims ADD COLUMN balance_cents BIGINT;
UPDATE expected_claims SET balance_cents = billed_cents;
ALTER TABLE expected_claims ALTER COLUMN balance_cents SET NOT NULL;
ALTER TABLE expected_claims ADD CONSTRAINT expected_claims_balance
    CHECK (balance_cents = billed_cents - paid_cents - adjusted_cents);
-- The payer after this one and SBR01 of the submission, from ClaimSubmitted.
ALTER TABLE expected_claims ADD COLUMN next_payer_id TEXT NOT NULL DEFAULT '';
ALTER TABLE expected_claims ADD COLUMN next_payer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE expected_claims ADD COLUMN payer_responsibility TEXT NOT NULL DEFAULT 'P';
ALTER TABLE expected_claims ADD COLUMN secondary_requested BOOLEAN NOT NULL DEFAULT false;

-- Which submission of the claim a posting counts for (a reversal: that of the posting it undoes),
-- the CLP as read (to judge the claim over all its 835s), and the reversal links.
ALTER TABLE postings ADD COLUMN submission INTEGER NOT NULL DEFAULT 1;
ALTER TABLE postings ADD COLUMN claim_json JSONB;
ALTER TABLE postings ADD COLUMN reverses_posting_id BIGINT REFERENCES postings (id);
ALTER TABLE postings ADD COLUMN reversed_by_posting_id BIGINT REFERENCES postings (id);
ALTER TABLE postings ADD COLUMN payer_key TEXT NOT NULL DEFAULT '';
CREATE INDEX postings_submission ON postings (tenant_id, claim_id, submission);

-- How a service line was matched to a billed line: control_number (REF*6R), procedure (procedure,
-- modifiers, date and charge), or none.
ALTER TABLE posting_lines ADD COLUMN matched_by TEXT NOT NULL DEFAULT 'none';

-- The unmatched queue: claims (CLP01 matched nothing), lines (matched no billed line of their
-- claim) and reversals (undo no posting of ours), with the candidates shown to an operator.
ALTER TABLE unmatched_claims ADD COLUMN kind TEXT NOT NULL DEFAULT 'claim' CHECK (kind IN ('claim', 'line', 'reversal'));
ALTER TABLE unmatched_claims ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE unmatched_claims ADD COLUMN claim_id TEXT;
ALTER TABLE unmatched_claims ADD COLUMN line_no INTEGER;
ALTER TABLE unmatched_claims ADD COLUMN procedure_code TEXT;
ALTER TABLE unmatched_claims ADD COLUMN candidates JSONB NOT NULL DEFAULT '[]';
ALTER TABLE unmatched_claims DROP CONSTRAINT unmatched_claims_file_id_claim_ordinal_key;
CREATE UNIQUE INDEX unmatched_claims_once ON unmatched_claims (file_id, claim_ordinal, kind, coalesce(line_no, 0));

-- The tenant's provider-level ledger: every PLB item of a posted payment.
CREATE TABLE provider_ledger (
    id                BIGSERIAL   PRIMARY KEY,
    tenant_id         TEXT        NOT NULL,
    payment_id        BIGINT      NOT NULL REFERENCES era_payments (id),
    provider_id       TEXT        NOT NULL,
    fiscal_period_end DATE        NOT NULL,
    -- PLB03-1 and what it is: interest (L6), forward_balance (FB), recoupment (WO, 72, J1 ...), other.
    reason            TEXT        NOT NULL,
    category          TEXT        NOT NULL CHECK (category IN ('interest', 'forward_balance', 'recoupment', 'other')),
    reference         TEXT,
    -- As sent: a positive amount reduced the payment, a negative one added to it.
    amount_cents      BIGINT      NOT NULL,
    posted_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX provider_ledger_tenant ON provider_ledger (tenant_id, id DESC);
