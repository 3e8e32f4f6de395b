//! Re-scrub: today's packs over the claims a tenant scrubbed since a date, read from the store,
//! reporting what would change. Nothing is written and nothing is sent.
//!
//! Each claim is judged as of the day it was first scrubbed (timely filing and future dates do
//! not move with the calendar) against the services sent before it then, with the tables, the
//! tenant's active packs and the overrides of today, so what changes is what the packs, the data
//! or the overrides changed.

use crate::decide::{self, Context};
use crate::error::Error;
use crate::rules::RuleFinding;
use crate::service::{self, State};
use crate::store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// One claim whose outcome or findings would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub claim_id: String,
    pub first_scrubbed_at: DateTime<Utc>,
    /// "scrubbed" or "rejected".
    pub before: String,
    pub after: String,
    /// `RULE-ID on field`, new in today's findings.
    pub added: Vec<String>,
    /// `RULE-ID on field`, gone from today's findings.
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub tenant: String,
    pub from: DateTime<Utc>,
    pub claims: usize,
    pub unchanged: usize,
    /// Claims that pass today but were rejected, and the other way round.
    pub now_pass: usize,
    pub now_fail: usize,
    pub changes: Vec<Change>,
    /// The packs applied today, `id@version`.
    pub packs: Vec<String>,
}

fn key(f: &RuleFinding) -> String {
    let how = if f.overridden.is_some() { " (overridden)" } else { "" };
    format!("{} on {}{how}", f.rule_id, f.field)
}

/// Re-scrubs the tenant's claims first scrubbed at or after `from`.
pub async fn replay(pool: &PgPool, state: &State, tenant: &str, from: DateTime<Utc>) -> Result<Report, Error> {
    let tables = state.tables().await?;
    let mut conn = pool.acquire().await?;
    let rows = store::claims_since(&mut *conn, tenant, from).await?;
    let mut report = Report {
        tenant: tenant.to_string(),
        from,
        claims: rows.len(),
        unchanged: 0,
        now_pass: 0,
        now_fail: 0,
        changes: Vec::new(),
        packs: Vec::new(),
    };
    for row in rows {
        let claim = service::stored_claim(&row)?;
        let inputs =
            service::inputs(&mut conn, state, tenant, &row.claim_id, &claim, row.first_scrubbed_at, false).await?;
        let cx = Context {
            today: row.first_scrubbed_at.date_naive(),
            packs: &inputs.packs,
            prior: &inputs.prior,
            overrides: &inputs.overrides,
        };
        let after = decide::scrub(&claim, &tables, &state.settings, &cx);
        if report.packs.len() < after.packs.len() {
            report.packs = after.packs.clone();
        }
        let runs = store::runs(&mut *conn, tenant, &row.claim_id).await?;
        let before: Vec<String> = match runs.last() {
            Some(run) => run.findings.iter().map(key).collect(),
            // Scrubbed before findings were kept: the rule ids are all there is.
            None => row.rule_ids.iter().map(|r| format!("{r} on ?")).collect(),
        };
        let now: Vec<String> = after.findings.iter().map(key).collect();
        let added: Vec<String> = now.iter().filter(|k| !before.contains(k)).cloned().collect();
        let removed: Vec<String> = before.iter().filter(|k| !now.contains(k)).cloned().collect();
        let after_state = after.state().to_string();
        if after_state == row.state && added.is_empty() && removed.is_empty() {
            report.unchanged += 1;
            continue;
        }
        match (row.state.as_str(), after_state.as_str()) {
            ("rejected", "scrubbed") => report.now_pass += 1,
            ("scrubbed", "rejected") => report.now_fail += 1,
            _ => {}
        }
        report.changes.push(Change {
            claim_id: row.claim_id.clone(),
            first_scrubbed_at: row.first_scrubbed_at,
            before: row.state.clone(),
            after: after_state,
            added,
            removed,
        });
    }
    Ok(report)
}

/// The report as lines for a terminal.
pub fn print(r: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "tenant {}: {} claim(s) scrubbed since {}, re-scrubbed with {}",
        r.tenant,
        r.claims,
        r.from.format("%Y-%m-%d %H:%M:%S UTC"),
        r.packs.join(", ")
    )?;
    writeln!(
        out,
        "{} unchanged, {} would change ({} would now pass, {} would now be rejected)",
        r.unchanged,
        r.changes.len(),
        r.now_pass,
        r.now_fail
    )?;
    for c in &r.changes {
        writeln!(
            out,
            "{} (first scrubbed {}): {} -> {}",
            c.claim_id,
            c.first_scrubbed_at.format("%Y-%m-%d"),
            c.before,
            c.after
        )?;
        for a in &c.added {
            writeln!(out, "  + {a}")?;
        }
        for d in &c.removed {
            writeln!(out, "  - {d}")?;
        }
    }
    Ok(())
}
