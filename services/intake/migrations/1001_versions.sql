-- Claim versions: a correction (frequency 7) or void (frequency 8) sent for a claim is a new version
-- of it. The history records which version each event is about, and a claim's state is ranked by
-- (version, state), so a new version starts from `correction_requested` again.
ALTER TABLE claim_history ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE claims
    ADD COLUMN version        INTEGER NOT NULL DEFAULT 1,
    -- The current version's CLM05-3: 1 original, 7 replacement, 8 void.
    ADD COLUMN frequency_code TEXT    NOT NULL DEFAULT '1';
