-- The tenants' trading partners, as submission announces them (submission.trading_partner_set): the
-- 835s are taken from each partner's inbound place. Submission owns the settings; this is remittance's
-- own copy, so no service reads another's tables.
CREATE TABLE trading_partners (
    tenant_id  TEXT        NOT NULL,
    partner_id TEXT        NOT NULL,
    settings   JSONB       NOT NULL,
    -- The announcing event: a redelivered older one does not overwrite a newer one.
    event_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, partner_id)
);
