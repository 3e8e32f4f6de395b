//! Others' 835s, posted: every fixture pyx12 passes (`services/x12/tests/fixtures/835/SOURCES.md`)
//! is uploaded against claims submitted with its patient control numbers and line charges; each
//! payment posts (none held, none failed) and each claim's posted money is the 835's.

mod common;

use common::*;
use rcm_proto::common::ClaimRef;
use rcm_proto::remittance::UploadRemittanceRequest;
use rcm_x12::x835;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The fixtures SOURCES.md marks as passing pyx12.
fn passing_fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../x12/tests/fixtures/835");
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    let passing: BTreeSet<String> = sources
        .lines()
        .filter(|l| l.contains("| PASS"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect();
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| passing.contains(n.to_string_lossy().as_ref())) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_835s_pyx12_passes_post_without_error_and_each_claim_gets_the_835s_money() {
    let fixtures = passing_fixtures();
    assert!(fixtures.len() >= 8, "the passing fixtures: {fixtures:?}");
    let mut claims_checked = 0;
    for path in &fixtures {
        claims_checked += post_one(path).await;
    }
    assert!(claims_checked >= fixtures.len(), "{} files, {claims_checked} claims", fixtures.len());
}

/// What a fixture says of one claim: charge, payment, lines (id, procedure, charge).
#[derive(Default)]
struct Billed(i64, i64, Vec<(String, String, i64)>);

/// Bills the claims a fixture pays (in a tenant of its own: samples share patient control numbers),
/// uploads it, and checks every payment posted and every claim's money. Returns the claims checked.
async fn post_one(path: &Path) -> usize {
    let h = Harness::new().await;
    let running = h.serve().await;
    let mut client = running.client.clone();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(path).unwrap();
    let doc = x835::parse_835(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Given the claims the file pays, billed with their charges and lines (reversals undo what was
    // never posted here: they are not billed)
    let mut billed: BTreeMap<String, Billed> = BTreeMap::new();
    for c in doc.remittances.iter().flat_map(|r| r.claims()).filter(|c| c.status.as_str() != "22") {
        // A sample that pays several CLPs under one patient control number is, to us, one claim
        // paid in parts: billed with all their lines.
        let e = billed.entry(c.patient_control_number.to_string()).or_default();
        e.0 += c.charge;
        e.1 += c.paid;
        let start = e.2.len();
        e.2.extend(c.lines.iter().enumerate().map(|(n, l)| {
            (format!("{}-{}", c.patient_control_number, start + n), l.procedure.code.to_string(), l.charge)
        }));
    }
    for (pcn, Billed(charge, _, lines)) in &billed {
        let lined: i64 = lines.iter().map(|l| l.2).sum();
        let mut lines: Vec<(&str, &str, i64)> =
            lines.iter().map(|(id, code, c)| (id.as_str(), code.as_str(), *c)).collect();
        if lined != *charge {
            // Claim-level charges without (all) their lines: the rest billed on one line.
            lines.push(("rest", "99213", charge - lined));
        }
        h.submit(&format!("c-{pcn}"), pcn, &lines).await;
    }
    let pool = rcm_runtime::db::connect(
        &h.config.database_url,
        &rcm_runtime::db::database_name(&h.config.database_prefix, "remittance"),
        1,
    )
    .await
    .unwrap();
    let want = billed.len() as i64;
    wait_for("the claims expected", || async { count(&pool, "SELECT count(*) FROM expected_claims").await >= want })
        .await;
    pool.close().await;

    // When the file is uploaded
    let r = client
        .upload_remittance(UploadRemittanceRequest {
            tenant_id: TENANT.into(),
            file_name: name.clone(),
            content: bytes,
        })
        .await
        .unwrap()
        .into_inner();
    // Then every payment posts
    assert_eq!(r.outcome, "processed", "{name}: {}", r.error);
    assert!(!r.payments.is_empty(), "{name}");
    for p in &r.payments {
        assert_eq!(p.status, "posted", "{name}: {}", p.reason);
    }
    // And each claim's posted money is what the 835 says
    for (pcn, Billed(charge, paid, _)) in &billed {
        let b = client
            .get_claim_balance(ClaimRef { tenant_id: TENANT.into(), claim_id: format!("c-{pcn}") })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((b.billed_cents, b.paid_cents), (*charge, *paid), "{name} {pcn}: {b:?}");
        assert_eq!(b.balance_cents, b.billed_cents - b.paid_cents - b.adjusted_cents, "{name} {pcn}");
    }
    running.stop().await;
    h.cleanup().await;
    billed.len()
}
