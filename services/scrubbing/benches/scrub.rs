//! Claims scrubbed per second with every pack loaded: the built-in packs (837P, code sets, MCE,
//! NCCI, duplicates and timely filing) and a tenant pack and a payer pack, over a generated batch
//! of professional claims (1 to 4 lines of common office, lab, imaging, injection and therapy
//! codes; FY2026 dates; some with modifiers, some with services already sent for the patient, a
//! few with errors). Prints the tables' load times and heap, claims per second on one core and on
//! every core, the outcome mix, and the process's memory.
//!
//! cargo bench -p rcm-scrubbing --bench scrub            (SCRUB_BENCH_CLAIMS=N to change the batch)

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::Icd10Cm;
use rcm_codesets::mce::Mce;
use rcm_codesets::ncci::Ncci;
use rcm_proto::common::{Address, Claim, Coverage, Patient, PersonName, Provider, ServiceLine};
use rcm_scrubbing::decide::{self, Context, PriorService, Settings, Tables};
use rcm_scrubbing::packs::{self, TenantPacks};

/// xorshift64*: the same batch every run, without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const PROCEDURES: &[&str] = &[
    "99202", "99203", "99204", "99212", "99213", "99214", "99215", "99395", "99396", "93000", "71046", "73030",
    "73560", "73562", "72100", "80053", "85025", "83036", "80061", "81002", "36415", "96372", "90471", "90686",
    "J1100", "J3301", "20610", "11721", "17110", "97110", "97140", "97112", "97530", "G0439", "G0438", "99406",
    "94640", "87880", "87426", "69210",
];
const MODIFIERS: &[&str] = &["25", "59", "LT", "RT", "XS", "GP", "26", "TC"];
const DIAGNOSES: &[&str] = &[
    "I10", "E119", "E785", "J069", "M5450", "R051", "K219", "N390", "J45909", "M1711", "F329", "R0602", "Z0000", "Z23",
    "E6601", "M25561", "G4700", "F419", "J301", "L700", "N400", "Z124", "Z3400", "R109", "E039", "D649",
];
const PAYERS: &[(&str, &str)] = &[("ACME1", "CI"), ("MCR01", "MB"), ("BLU01", "BL")];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn claim(rng: &mut Rng, i: usize) -> Claim {
    let dos = date(2026, 1, 5) + chrono::Days::new(rng.below(260) as u64);
    let dos_text = dos.to_string();
    let birth = date(1940, 1, 1) + chrono::Days::new(rng.below(30_000) as u64);
    let (payer, filing) = *rng.pick(PAYERS);
    let n_dx = 1 + rng.below(4);
    let mut diagnoses: Vec<String> = Vec::new();
    while diagnoses.len() < n_dx {
        let d = rng.pick(DIAGNOSES).to_string();
        if !diagnoses.contains(&d) {
            diagnoses.push(d);
        }
    }
    let n_lines = 1 + rng.below(4);
    let lines: Vec<ServiceLine> = (0..n_lines)
        .map(|k| ServiceLine {
            line_id: (k + 1).to_string(),
            procedure_code: rng.pick(PROCEDURES).to_string(),
            modifiers: if rng.chance(15) { vec![rng.pick(MODIFIERS).to_string()] } else { vec![] },
            units: if rng.chance(10) { (2 + rng.below(3)).to_string() } else { "1".into() },
            charge_cents: 5_000 + rng.below(30_000) as i64,
            diagnosis_pointers: vec![1 + (k % n_dx) as u32],
            service_date: dos_text.clone(),
            unit: "UN".into(),
            ..ServiceLine::default()
        })
        .collect();
    let total = lines.iter().map(|l| l.charge_cents).sum();
    let mut c = Claim {
        claim_id: format!("bench-{i}"),
        patient_control_number: format!("PCN{i}"),
        patient: Some(Patient {
            patient_id: format!("MRN{}", rng.below(50_000)),
            name: Some(PersonName { last: "Bench".into(), first: "Pat".into(), ..PersonName::default() }),
            birth_date: birth.to_string(),
            gender: if rng.chance(50) { "F".into() } else { "M".into() },
            address: Some(Address { line1: "1 Elm St".into(), city: "Austin".into(), ..Address::default() }),
        }),
        coverage: Some(Coverage {
            payer_id: payer.into(),
            member_id: format!("ABC{:09}", rng.below(1_000_000_000)),
            relationship: "18".into(),
            claim_filing: filing.into(),
            ..Coverage::default()
        }),
        billing_provider: Some(Provider {
            npi: "1234567893".into(),
            organization_name: "Bench Clinic".into(),
            tax_id: "123456789".into(),
            address: Some(Address {
                line1: "1 Main St".into(),
                city: "Austin".into(),
                state: "TX".into(),
                postal_code: "787011234".into(),
                ..Address::default()
            }),
            ..Provider::default()
        }),
        rendering_provider: rng.chance(50).then(|| Provider { npi: "1245319599".into(), ..Provider::default() }),
        place_of_service: "11".into(),
        service_date: dos_text,
        diagnosis_codes: diagnoses,
        lines,
        total_charge_cents: total,
        frequency_code: "1".into(),
        ..Claim::default()
    };
    // A few claims with the errors practices send.
    match rng.below(100) {
        0 => c.billing_provider.as_mut().unwrap().npi = "1234567890".into(),
        1 => c.diagnosis_codes[0] = "E11".into(),
        2 => c.place_of_service.clear(),
        _ => {}
    }
    c
}

fn prior(rng: &mut Rng, c: &Claim) -> Vec<PriorService> {
    if !rng.chance(10) {
        return Vec::new();
    }
    let date = decide::parse_date(&c.service_date).unwrap();
    (0..1 + rng.below(2))
        .map(|k| PriorService {
            claim_id: format!("sent-{k}"),
            billing_npi: "1234567893".into(),
            provider_npi: "1234567893".into(),
            service_date: date,
            procedure_code: rng.pick(PROCEDURES).to_string(),
            modifiers: vec![],
            units: 1.into(),
        })
        .collect()
}

const TENANT_PACK: &str = r#"
id = "bench-tenant"
version = "1"
effective_from = 2026-01-01
[[rule]]
id = "T-AUTH-IMAGING"
severity = "error"
message = "imaging needs a prior authorization"
when.procedure_prefix = ["721", "735"]
when.missing = ["prior_authorization"]
[[rule]]
id = "T-MEMBER-SHAPE"
severity = "warning"
message = "member ids are three letters and nine digits"
when.shape = { "coverage.member_id" = "@@@#########" }
[[rule]]
id = "T-TELEHEALTH"
severity = "error"
message = "telehealth visits need modifier 95"
when.place_of_service_in = ["02", "10"]
when.modifier_missing = ["95"]
when.procedure_prefix = ["992"]
"#;

const PAYER_PACK: &str = r#"
id = "bench-blu01"
version = "1"
effective_from = 2026-01-01
timely_filing_days = 180
[[rule]]
id = "B-THERAPY-GP"
severity = "error"
message = "therapy needs GP"
when.procedure_prefix = ["971", "975"]
when.modifier_missing = ["GP"]
[[rule]]
id = "B-WELLNESS-AGE"
severity = "warning"
message = "adult wellness visit under 18"
when.procedure_in = ["99395", "99396"]
when.age_under = 18
[[rule]]
id = "B-LAB-DX"
severity = "warning"
message = "A1c without a diabetes diagnosis"
when.procedure_in = ["83036"]
when.no_diagnosis_prefix = ["E10", "E11", "R73"]
"#;

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string()).unwrap_or_default()
    };
    format!("resident {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let n: usize = std::env::var("SCRUB_BENCH_CLAIMS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    println!("memory at start: {}", rss());
    let timed = |label: &str, f: &dyn Fn() -> usize| {
        let started = Instant::now();
        let heap = f();
        println!(
            "  {label:<34} {:>6.0} ms  {:>6.1} MiB heap",
            started.elapsed().as_secs_f64() * 1e3,
            heap as f64 / 1048576.0
        );
    };
    println!("tables (load, heap)");
    timed("ICD-10-CM FY2025 + FY2026", &|| Icd10Cm::shipped().versions().iter().map(|v| v.heap_bytes()).sum());
    timed("HCPCS Level II 2024-07", &|| Hcpcs::shipped().heap_bytes());
    timed("NCCI 2024Q3 (PTP, MUE, AOC)", &|| Ncci::shipped().heap_bytes());
    timed("MCE v41.1", &|| Mce::shipped().heap_bytes());
    let tables = Tables::shipped();
    let settings = Settings::default();
    let packs = TenantPacks {
        packs: vec![
            Arc::new(packs::parse(TENANT_PACK, "").unwrap()),
            Arc::new(packs::parse(PAYER_PACK, "BLU01").unwrap()),
        ],
    };
    println!("memory with the tables: {}", rss());

    let mut rng = Rng(0x5eed_c1a1_2026);
    let started = Instant::now();
    let batch: Vec<(Claim, Vec<PriorService>)> = (0..n)
        .map(|i| {
            let c = claim(&mut rng, i);
            let p = prior(&mut rng, &c);
            (c, p)
        })
        .collect();
    println!("batch: {n} claims generated in {:.0} ms; memory {}", started.elapsed().as_secs_f64() * 1e3, rss());

    let today = date(2026, 10, 1);
    let scrub_all = |claims: &[(Claim, Vec<PriorService>)]| -> (usize, usize, usize) {
        let (mut rejected, mut findings, mut warnings_only) = (0, 0, 0);
        for (c, prior) in claims {
            let cx = Context { today, packs: &packs, prior, overrides: &[] };
            let s = black_box(decide::scrub(black_box(c), &tables, &settings, &cx));
            findings += s.findings.len();
            if !s.passes() {
                rejected += 1;
            } else if !s.findings.is_empty() {
                warnings_only += 1;
            }
        }
        (rejected, findings, warnings_only)
    };
    // Warm up: the lazily built indexes, the caches.
    scrub_all(&batch[..n.min(2_000)]);

    let started = Instant::now();
    let (rejected, findings, warnings_only) = scrub_all(&batch);
    let one = started.elapsed();
    let per_core = n as f64 / one.as_secs_f64();
    println!(
        "one core: {n} claims in {:.2} s = {:.0} claims/s ({:.1} µs a claim)",
        one.as_secs_f64(),
        per_core,
        one.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "  outcomes: {rejected} rejected ({:.1}%), {warnings_only} passed with warnings, {} clean; {findings} findings",
        rejected as f64 * 100.0 / n as f64,
        n - rejected - warnings_only
    );

    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let chunk = n.div_ceil(threads);
    let started = Instant::now();
    std::thread::scope(|s| {
        for part in batch.chunks(chunk) {
            s.spawn(|| scrub_all(part));
        }
    });
    let all = started.elapsed();
    println!(
        "{threads} threads: {:.0} claims/s in all, {:.0} claims/s per core",
        n as f64 / all.as_secs_f64(),
        n as f64 / all.as_secs_f64() / threads as f64
    );
    println!("memory at the end: {}", rss());
}
