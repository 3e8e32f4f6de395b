//! The file loop: answers each `<data_dir>/<tenant>/outbound/<name>.837` once, writing
//! `<name>.999`, `<name>.277ca` and `<name>.835` into `<data_dir>/<tenant>/inbound/` (each by a
//! temporary file and a rename). A marker `outbound/answered/<name>.837`, written after the answers,
//! survives restarts: a file is answered again only when a crash came between its answers and its
//! marker, and then with the same answers.

use crate::answer::{Answer, answer};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorConfig {
    /// The file drop shared with the submission service. Default `var`.
    pub data_dir: PathBuf,
    /// How often the outbound directories are looked at, in milliseconds. Default 500.
    pub poll_interval_ms: u64,
    /// The payer's today (service dates after it are rejected, older than a year denied); `None`
    /// for the current UTC date. Default `None`.
    pub today: Option<NaiveDate>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig { data_dir: PathBuf::from("var"), poll_interval_ms: 500, today: None }
    }
}

impl SimulatorConfig {
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive())
    }
}

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
        answer_file(&outbound.join(&name), &inbound, &answered, config.today())?;
        done.push(name);
    }
    Ok(done)
}

/// Answers one 837 file into `inbound` and marks it in `answered`. A file that cannot be answered
/// at all (not X12) is marked with the reason and gets no answer.
pub fn answer_file(path: &Path, inbound: &Path, answered: &Path, today: NaiveDate) -> std::io::Result<Option<Answer>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".837").unwrap_or(&name).to_string();
    let text = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&text);
    let (marker, result) = match answer(&text, today) {
        Ok(a) => {
            write_atomic(inbound, &format!("{stem}.999"), a.ack999.as_bytes())?;
            let mut written = vec!["999"];
            if let Some(t) = &a.ack277ca {
                write_atomic(inbound, &format!("{stem}.277ca"), t.as_bytes())?;
                written.push("277ca");
            }
            if let Some(t) = &a.era835 {
                write_atomic(inbound, &format!("{stem}.835"), t.as_bytes())?;
                written.push("835");
            }
            let accepted =
                a.claims.iter().filter(|c| matches!(c.decision, crate::adjudicate::Decision::Accepted { .. })).count();
            tracing::info!(file = %name, claims = a.claims.len(), accepted, "simulator: answered");
            (format!("answered: {}\n", written.join(" ")), Some(a))
        }
        Err(e) => {
            tracing::warn!(file = %name, error = %e, "simulator: cannot answer this file");
            (format!("not answered: {e}\n"), None)
        }
    };
    write_atomic(answered, &name, marker.as_bytes())?;
    Ok(result)
}

fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(content)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}
