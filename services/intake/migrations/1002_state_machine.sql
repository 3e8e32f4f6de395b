-- The claim state machine (issue "Submission and the clearinghouse loop"): the states take the
-- names of the claim's life (created, batched, sent, corrected, ...), each history entry says what
-- the event did to the claim (moved it, repeated its state, came late, or was refused), and a claim
-- carries its payer and when it was created, for ListClaims by payer and age.
UPDATE claims SET state = 'created' WHERE state = 'received';
UPDATE claims SET state = 'batched' WHERE state = 'submitted';
UPDATE claims SET state = 'corrected' WHERE state = 'correction_requested';
UPDATE claim_history SET state = 'created' WHERE state = 'received';
UPDATE claim_history SET state = 'batched' WHERE state = 'submitted';
UPDATE claim_history SET state = 'corrected' WHERE state = 'correction_requested';

ALTER TABLE claim_history
    ADD COLUMN transition TEXT NOT NULL DEFAULT 'moved'
        CHECK (transition IN ('moved', 'repeated', 'late', 'refused'));

ALTER TABLE claims
    ADD COLUMN payer_id   TEXT        NOT NULL DEFAULT '',
    ADD COLUMN created_at TIMESTAMPTZ;
UPDATE claims c SET created_at = (SELECT min(h.at) FROM claim_history h
                                  WHERE h.tenant_id = c.tenant_id AND h.claim_id = c.claim_id);
UPDATE claims SET created_at = state_at WHERE created_at IS NULL;
ALTER TABLE claims ALTER COLUMN created_at SET NOT NULL;

-- ListClaims: a tenant's claims by state and payer, oldest first.
CREATE INDEX claims_list ON claims (tenant_id, state, payer_id, created_at);
CREATE INDEX claims_age ON claims (tenant_id, created_at);
