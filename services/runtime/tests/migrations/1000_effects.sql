CREATE TABLE effects (
    id        BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    claim_id  TEXT NOT NULL
);
