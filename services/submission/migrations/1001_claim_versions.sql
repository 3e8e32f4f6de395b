-- Claim versions: a replacement (CLM05-3 = 7) or void (8) of a claim already sent is a new version of
-- it, with its own row, state, batch and acknowledgement; the originals are version 1. Exactly one
-- 837 claim per (tenant, claim, version). Acknowledgements match a claim's latest version by patient
-- control number (which stays the claim's).
ALTER TABLE claims
    ADD COLUMN version        INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN frequency_code TEXT    NOT NULL DEFAULT '1';
ALTER TABLE claims DROP CONSTRAINT claims_pkey;
ALTER TABLE claims ADD PRIMARY KEY (tenant_id, claim_id, version);
DROP INDEX claims_patient_control_number;
CREATE UNIQUE INDEX claims_patient_control_number ON claims (tenant_id, patient_control_number, version);
