-- Corrections and voids asked for on a work item (status 'correction_requested'): the frequency
-- code (7 replacement, 8 void), the claim version it becomes, who asked and when, their note for
-- the coder, and the denials.correction_requested event that carried it.
ALTER TABLE work_items
    ADD COLUMN correction_frequency_code TEXT CHECK (correction_frequency_code IN ('7', '8')),
    ADD COLUMN correction_version        INTEGER,
    ADD COLUMN correction_requested_by   TEXT,
    ADD COLUMN correction_requested_at   TIMESTAMPTZ,
    ADD COLUMN correction_note           TEXT,
    ADD COLUMN correction_event_id       UUID;
