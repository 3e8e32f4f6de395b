//! The file loop: answers each `<data_dir>/<tenant>/outbound/<name>.837` once, writing into
//! `<data_dir>/<tenant>/inbound/`, each by a temporary file and a rename, in this order:
//! `<name>.999`, `<name>.277ca`, `<name>.835` and, when the payer splits or reverses a claim, the
//! later 835 `<name>_2.835` (which sorts after `<name>.835`, byte for byte, for a reader that takes
//! files in name order, as the remittance service does). Then the duplicate keys the answer
//! learned go into the answered-claims memory ([`crate::answered`], under `outbound/answered/claims/`),
//! and last a marker `outbound/answered/<name>.837` that survives restarts: a file is answered again
//! only when a crash came between its answers and its marker, and then with the same answers (the
//! memory knows the file's own claims for what they are, not as duplicates).

use crate::adjudicate::{Decision, Remit};
use crate::answer::{Answer, AnswerError, answer_with};
use crate::answered::AnsweredDir;
use crate::config::SimulatorConfig;
use chrono::NaiveDate;
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Answers new 837 files of `tenants` until `shutdown`.
pub async fn run(config: SimulatorConfig, tenants: Vec<String>, shutdown: CancellationToken) {
    let interval = Duration::from_millis(config.poll_interval_ms.max(1));
    loop {
        for tenant in &tenants {
            let (c, t) = (config.clone(), tenant.clone());
            match tokio::task::spawn_blocking(move || answer_pending(&c, &t)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(%tenant, error = %e, "simulator: cannot answer; will retry"),
                Err(e) => tracing::error!(%tenant, error = %e, "simulator: answering task failed"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// Answers every 837 file of the tenant that has no marker yet; returns their names.
pub fn answer_pending(config: &SimulatorConfig, tenant: &str) -> std::io::Result<Vec<String>> {
    let root = config.data_dir.join(tenant);
    let outbound = root.join("outbound");
    let inbound = root.join("inbound");
    let answered = outbound.join("answered");
    let mut names: Vec<String> = match std::fs::read_dir(&outbound) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".837") && !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    names.sort();
    let mut done = Vec::new();
    for name in names {
        if answered.join(&name).exists() {
            continue;
        }
        answer_file_with(&outbound.join(&name), &inbound, &answered, config)?;
        done.push(name);
    }
    Ok(done)
}

/// Answers one 837 file into `inbound` and marks it in `answered`, with the default payer and
/// `today` (see [`answer_file_with`]).
pub fn answer_file(path: &Path, inbound: &Path, answered: &Path, today: NaiveDate) -> std::io::Result<Option<Answer>> {
    answer_file_with(path, inbound, answered, &SimulatorConfig { today: Some(today), ..SimulatorConfig::default() })
}

/// The name of the later 835 of the answer to `<stem>.837`.
pub fn later_835_name(stem: &str) -> String {
    format!("{stem}_2.835")
}

/// Answers one 837 file into `inbound` with the payer of `config`, remembers its claims and marks
/// it in `answered` (see the module documentation). A file that cannot be answered at all (not
/// X12) is marked with the reason and gets no answer; an answered-claims memory that cannot be
/// read is an error (the file is tried again later).
pub fn answer_file_with(
    path: &Path,
    inbound: &Path,
    answered: &Path,
    config: &SimulatorConfig,
) -> std::io::Result<Option<Answer>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".837").unwrap_or(&name).to_string();
    let text = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&text);
    let index = AnsweredDir::new(answered);
    let (marker, result) = match answer_with(&text, config.today(), config, &name, &index) {
        Ok(a) => {
            write_atomic(inbound, &format!("{stem}.999"), a.ack999.as_bytes())?;
            let mut written = vec!["999".to_string()];
            if let Some(t) = &a.ack277ca {
                write_atomic(inbound, &format!("{stem}.277ca"), t.as_bytes())?;
                written.push("277ca".into());
            }
            if let Some(t) = &a.era835 {
                write_atomic(inbound, &format!("{stem}.835"), t.as_bytes())?;
                written.push("835".into());
            }
            if let Some(t) = &a.later835 {
                let later = later_835_name(&stem);
                write_atomic(inbound, &later, t.as_bytes())?;
                written.push(later);
            }
            for (key, first) in &a.remembered {
                index.record(key, first)?;
            }
            let accepted = a.claims.iter().filter(|c| matches!(c.decision, Decision::Accepted { .. })).count();
            let duplicates = a.claims.iter().filter(|c| c.duplicate_of.is_some()).count();
            let remit = |f: fn(&Remit) -> bool| {
                a.claims.iter().filter(|c| matches!(&c.decision, Decision::Accepted { remit, .. } if f(remit))).count()
            };
            tracing::info!(
                file = %name,
                claims = a.claims.len(),
                accepted,
                duplicates,
                split = remit(|r| matches!(r, Remit::Split { .. })),
                reversed = remit(|r| matches!(r, Remit::Reversed { .. })),
                rejected_sets = a.rejected_sets.len(),
                "simulator: answered"
            );
            (format!("answered: {}\n", written.join(" ")), Some(a))
        }
        Err(AnswerError::Answered(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(file = %name, error = %e, "simulator: cannot answer this file");
            (format!("not answered: {e}\n"), None)
        }
    };
    write_atomic(answered, &name, marker.as_bytes())?;
    Ok(result)
}

pub(crate) fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(content)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}
