use super::*;
use crate::decide::testing::*;
use rcm_proto::common::Claim;

const HEADER: &str = "id = \"t\"\nversion = \"1\"\neffective_from = 2026-01-01\n";

/// A tenant pack of one rule `T-RULE` with these conditions (TOML lines under `[rule.when]`).
fn one_rule(when: &str) -> TenantPacks {
    let text = format!(
        "{HEADER}[[rule]]\nid = \"T-RULE\"\nseverity = \"error\"\nmessage = \"the payer says no\"\n[rule.when]\n{when}\n"
    );
    let pack = parse(&text, "").unwrap_or_else(|e| panic!("{e}\n{text}"));
    TenantPacks { packs: vec![Arc::new(pack)] }
}

fn with(packs: &TenantPacks, c: &Claim) -> crate::decide::Scrub {
    run_with(c, &Fixture { packs, ..Fixture::default() })
}

/// The rule trips on `bad` and not on `good`.
fn check(when: &str, bad: &Claim, good: &Claim) -> Vec<RuleFinding> {
    let packs = one_rule(when);
    let (b, g) = (with(&packs, bad), with(&packs, good));
    assert!(!of(&b, "T-RULE").is_empty(), "{when} does not trip");
    trips("T-RULE", &b, &g)
}

const EXAMPLE: &str = r#"# Blue Plan of the Lakes: what its provider manual asks of professional claims.
id = "blu01-policy"
version = "2026.1"
name = "Blue Plan of the Lakes payer policy"
source = "BLU01 Provider Manual 2026, chapter 4"
effective_from = 2026-01-01
effective_to = "2026-12-31"
timely_filing_days = 180

[[rule]]
id = "BLU01-THERAPY-GP"
severity = "error"
message = "physical therapy needs the GP modifier for this payer"
field = "modifiers"
when.procedure_in = ["97110", "97112", "97140"]
when.modifier_missing = ["GP"]

[[rule]]
id = "BLU01-MEMBER-ID"
severity = "warning"
message = "BLU01 member ids are three letters and nine digits"
source = "BLU01 ID card guide"
when.shape = { "coverage.member_id" = "@@@#########" }
"#;

#[test]
fn the_example_pack_loads() {
    // Given the documented example
    let p = parse(EXAMPLE, "BLU01").unwrap();
    // Then every part is read
    assert_eq!(
        (p.id.as_str(), p.version.as_str(), p.label().as_str()),
        ("blu01-policy", "2026.1", "blu01-policy@2026.1")
    );
    assert_eq!(p.scope(), "payer BLU01");
    assert_eq!((p.effective_from, p.effective_to), (day(2026, 1, 1), Some(day(2026, 12, 31))));
    assert_eq!(p.timely_filing_days, Some(180));
    assert_eq!(p.rules.len(), 2);
    let gp = &p.rules[0];
    assert_eq!((gp.severity, gp.field.as_str(), gp.line_level), (Severity::Error, "modifiers", true));
    assert_eq!(gp.source, "BLU01 Provider Manual 2026, chapter 4");
    assert_eq!(
        gp.describe(),
        "fires when a line's procedure is 97110, 97112, 97140; and the line has none of the modifiers GP"
    );
    let id = &p.rules[1];
    assert_eq!(
        (id.severity, id.field.as_str(), id.line_level, id.source.as_str()),
        (Severity::Warning, "coverage.member_id", false, "BLU01 ID card guide")
    );
}

#[test]
fn a_payer_pack_applies_to_its_payer_in_its_dates() {
    let p = parse(EXAMPLE, "BLU01").unwrap();
    assert!(p.applies("BLU01", day(2026, 1, 1)) && p.applies("BLU01", day(2026, 12, 31)));
    assert!(!p.applies("BLU01", day(2025, 12, 31)) && !p.applies("BLU01", day(2027, 1, 1)));
    assert!(!p.applies("ACME1", day(2026, 6, 1)));
    assert!(parse(EXAMPLE, "").unwrap().applies("ACME1", day(2026, 6, 1)), "a tenant pack applies to every payer");
}

#[test]
fn the_example_pack_on_claims() {
    // Given the BLU01 pack and a BLU01 claim with 97110 without GP, and a member id of another shape
    let packs = TenantPacks { packs: vec![Arc::new(parse(EXAMPLE, "BLU01").unwrap())] };
    let mut bad = clean();
    bad.coverage.as_mut().unwrap().payer_id = "BLU01".into();
    bad.coverage.as_mut().unwrap().member_id = "M1".into();
    bad.lines[1].procedure_code = "97110".into();
    let mut good = bad.clone();
    good.lines[1].modifiers = vec!["GP".into()];
    good.coverage.as_mut().unwrap().member_id = "ABC123456789".into();
    let (b, g) = (with(&packs, &bad), with(&packs, &good));
    // Then both rules trip on the first, naming the line and the field, and not on the second
    let f = trips("BLU01-THERAPY-GP", &b, &g);
    assert_eq!((f[0].field.as_str(), f[0].line), ("lines[1].modifiers", Some(2)));
    assert_eq!(f[0].message, "line 2 97110: physical therapy needs the GP modifier for this payer");
    assert_eq!((f[0].pack.as_ref(), f[0].source.as_str()), ("blu01-policy", "BLU01 Provider Manual 2026, chapter 4"));
    let f = trips("BLU01-MEMBER-ID", &b, &g);
    assert_eq!((f[0].field.as_str(), f[0].severity), ("coverage.member_id", Severity::Warning));
    assert!(b.packs.contains(&"blu01-policy@2026.1".to_string()));
    // And another payer's claim is not judged by it
    let mut other = bad.clone();
    other.coverage.as_mut().unwrap().payer_id = "ACME1".into();
    let o = with(&packs, &other);
    assert!(of(&o, "BLU01-THERAPY-GP").is_empty() && !o.packs.iter().any(|p| p.starts_with("blu01")));
}

#[test]
fn a_payer_pack_sets_the_filing_limit() {
    // Given the BLU01 pack (180 days) and a BLU01 claim of 2026-03-02
    let packs = TenantPacks { packs: vec![Arc::new(parse(EXAMPLE, "BLU01").unwrap())] };
    let mut c = clean();
    c.coverage.as_mut().unwrap().payer_id = "BLU01".into();
    c.coverage.as_mut().unwrap().member_id = "ABC123456789".into();
    let at = |today| run_with(&c, &Fixture { packs: &packs, today, ..Fixture::default() });
    // Then 181 days later it is late, 180 days later it is not
    let f = trips("SCRUB-TIMELY-FILING", &at(day(2026, 8, 30)), &at(day(2026, 8, 29)));
    assert!(f[0].message.ends_with("(set by pack blu01-policy@2026.1)"), "{}", f[0].message);
}

/// Refused packs, with the line of the problem.
#[test]
fn a_bad_pack_is_refused_with_the_line_and_the_reason() {
    let rule = |body: &str| format!("{HEADER}\n[[rule]]\nid = \"T-A\"\nseverity = \"error\"\nmessage = \"m\"\n{body}");
    let cases: Vec<(String, usize, &str)> = vec![
        (format!("{HEADER}\n[[rule]\n"), 5, "invalid"),
        (rule("when.procedure_inn = [\"97110\"]\n"), 9, "unknown field `procedure_inn`"),
        (rule("when.procedure_in = [\"9711\"]\n"), 9, "procedure_in: `9711` is not a procedure code"),
        (rule("when.diagnosis_in = [\"I10\", \"10I\"]\n"), 9, "`10I` is not an ICD-10-CM code"),
        (rule("when.modifier_missing = [\"GPX\"]\n"), 9, "`GPX` is not a modifier"),
        (rule("when.place_of_service_in = [\"28\"]\n"), 9, "`28` is not an assigned place-of-service code"),
        (rule("when.missing = [\"coverage.nope\"]\n"), 9, "`coverage.nope` is not a field"),
        (rule("when.sex = \"X\"\n"), 9, "sex must be"),
        (rule("when.age_under = 200\n"), 9, "an age must be 0 to 130 years"),
        (rule("when = {}\n"), 6, "needs at least one condition"),
        (rule("when.procedure_in = []\n"), 9, "procedure_in is empty"),
        (format!("{HEADER}\n[[rule]]\nid = \"T-A\"\nseverity = \"fatal\"\nmessage = \"m\"\nwhen.sex = \"F\"\n"), 7, "severity must be"),
        (format!("{HEADER}\n[[rule]]\nid = \"SCRUB-MINE\"\nseverity = \"error\"\nmessage = \"m\"\nwhen.sex = \"F\"\n"), 6, "kept for the built-in rules"),
        (format!("{HEADER}\n[[rule]]\nid = \"lower\"\nseverity = \"error\"\nmessage = \"m\"\nwhen.sex = \"F\"\n"), 6, "must be 3 to 64 capital letters"),
        (
            format!("{HEADER}\n[[rule]]\nid = \"T-A\"\nseverity = \"error\"\nmessage = \"m\"\nwhen.sex = \"F\"\n\n[[rule]]\nid = \"T-A\"\nseverity = \"error\"\nmessage = \"m\"\nwhen.sex = \"M\"\n"),
            12,
            "used twice",
        ),
        ("id = \"t\"\nversion = \"1\"\neffective_from = 2026-01-01\neffective_to = 2025-12-31\ntimely_filing_days = 90\n".into(), 4, "before effective_from"),
        ("id = \"t\"\nversion = \"1\"\neffective_from = \"2026-02-30\"\ntimely_filing_days = 90\n".into(), 3, "is not a YYYY-MM-DD date"),
        ("id = \"t\"\nversion = \"1\"\neffective_from = 2026-01-01\ntimely_filing_days = 0\n".into(), 4, "timely_filing_days must be 1 to 3650"),
        ("id = \"t\"\nversion = \"1\"\neffective_from = 2026-01-01\n".into(), 1, "no [[rule]] and no timely_filing_days"),
        ("id = \"t t\"\nversion = \"1\"\neffective_from = 2026-01-01\ntimely_filing_days = 9\n".into(), 1, "pack id `t t`"),
    ];
    for (text, line, reason) in cases {
        let e = parse(&text, "").expect_err(&text);
        assert_eq!(e.line, line, "{e}\n{text}");
        assert!(e.reason.contains(reason), "{e}\n---\n{text}");
    }
}

#[test]
fn claim_conditions() {
    let c = clean();
    let mut other = clean();
    // payer_in
    other.coverage.as_mut().unwrap().payer_id = "ACME1".into();
    check("payer_in = [\"87726\"]", &c, &other);
    // claim_filing_in
    let mut mb = clean();
    mb.coverage.as_mut().unwrap().claim_filing = "MB".into();
    check("claim_filing_in = [\"MB\"]", &mb, &c);
    // diagnosis_in / diagnosis_prefix (dots and case ignored)
    let mut e11 = clean();
    e11.diagnosis_codes = vec!["E11.9".into()];
    check("diagnosis_in = [\"e11.9\"]", &e11, &c);
    check("diagnosis_prefix = [\"E11\"]", &e11, &c);
    // no_diagnosis_in / no_diagnosis_prefix: fires when none of the claim's diagnoses match
    check("no_diagnosis_prefix = [\"E11\"]\nno_diagnosis_in = [\"Z0000\"]", &c, &e11);
    // age_under / age_at_least (the patient of clean() is 46 on 2026-03-02)
    let mut child = clean();
    child.patient.as_mut().unwrap().birth_date = "2015-01-01".into();
    check("age_under = 18", &child, &c);
    check("age_at_least = 18", &c, &child);
    // sex
    let mut male = clean();
    male.patient.as_mut().unwrap().gender = "M".into();
    check("sex = \"M\"", &male, &c);
    // place_of_service_in
    let mut tele = clean();
    tele.place_of_service = "02".into();
    check("place_of_service_in = [\"02\", \"10\"]", &tele, &c);
    // frequency_in
    let mut void = clean();
    void.frequency_code = "8".into();
    void.payer_claim_control_number = "X1".into();
    check("frequency_in = [\"8\"]", &void, &c);
    // missing
    let mut auth = clean();
    auth.prior_authorization = "PA-77".into();
    let f = check("missing = [\"prior_authorization\", \"coverage.group_number\"]", &c, &{
        let mut g = auth.clone();
        g.coverage.as_mut().unwrap().group_number = "G1".into();
        g
    });
    assert_eq!((f[0].field.as_str(), f[0].line), ("prior_authorization", None));
    // shape: a member id not of the shape; a blank one is left to `missing`
    let mut shaped = clean();
    shaped.coverage.as_mut().unwrap().member_id = "W123456789".into();
    check("shape = { \"coverage.member_id\" = \"@#########\" }", &c, &shaped);
    // total_charge_above_cents
    check("total_charge_above_cents = 30000", &c, &{
        let mut small = clean();
        small.lines.truncate(1);
        small.total_charge_cents = 22_719;
        small
    });
}

#[test]
fn line_conditions() {
    let c = clean();
    // procedure_in / procedure_prefix: the finding names the line
    let f = check("procedure_in = [\"71046\"]", &c, &{
        let mut x = clean();
        x.lines[1].procedure_code = "71045".into();
        x
    });
    assert_eq!((f[0].field.as_str(), f[0].line), ("lines[1].procedure_code", Some(2)));
    check("procedure_prefix = [\"710\"]", &c, &{
        let mut x = clean();
        x.lines[1].procedure_code = "93000".into();
        x
    });
    // modifier_in / modifier_missing
    let mut tc = clean();
    tc.lines[1].modifiers = vec!["TC".into()];
    check("procedure_in = [\"71046\"]\nmodifier_in = [\"TC\", \"26\"]", &tc, &c);
    check("procedure_in = [\"71046\"]\nmodifier_missing = [\"TC\", \"26\"]", &c, &tc);
    // units_above
    let mut three = clean();
    three.lines[1].units = "3".into();
    check("procedure_in = [\"71046\"]\nunits_above = 2", &three, &c);
    check("procedure_in = [\"71046\"]\nunits_above = \"2.5\"", &three, &c);
    // line_charge_above_cents
    check("line_charge_above_cents = 20000", &c, &{
        let mut x = clean();
        x.lines[0].charge_cents = 20_000;
        x.total_charge_cents = 28_405;
        x
    });
    // with_procedure_in: another line on the same date
    let f = check("procedure_in = [\"71046\"]\nwith_procedure_in = [\"99213\"]", &c, &{
        let mut x = clean();
        x.lines[0].procedure_code = "99214".into();
        x
    });
    assert_eq!(f.len(), 1);
    // line.place_of_service: a line's own place, else the claim's
    let mut home = clean();
    home.lines[1].place_of_service = "12".into();
    let f = check("place_of_service_in = [\"12\"]\nprocedure_prefix = [\"7\"]", &home, &c);
    assert_eq!(f[0].line, Some(2));
    // missing on a line field
    let f = check("missing = [\"line.modifiers\"]\nprocedure_in = [\"71046\"]", &c, &tc);
    assert_eq!(f[0].field, "lines[1].procedure_code");
}

#[test]
fn a_rule_outside_its_dates_does_not_run() {
    // Given a pack effective from 2026-04-01 and a claim of 2026-03-02
    let text = "id = \"later\"\nversion = \"1\"\neffective_from = 2026-04-01\n[[rule]]\nid = \"L-ALL\"\nseverity = \"error\"\nmessage = \"m\"\nwhen.sex = \"F\"\n";
    let packs = TenantPacks { packs: vec![Arc::new(parse(text, "").unwrap())] };
    let s = with(&packs, &clean());
    assert!(of(&s, "L-ALL").is_empty());
    assert!(!s.packs.iter().any(|p| p.starts_with("later@")));
    // And from its first day it does
    let mut april = clean();
    april.service_date = "2026-04-01".into();
    for l in &mut april.lines {
        l.service_date = "2026-04-01".into();
    }
    let fx = Fixture { packs: &packs, today: day(2026, 4, 2), ..Fixture::default() };
    assert_eq!(of(&run_with(&april, &fx), "L-ALL").len(), 1);
}

#[test]
fn shapes() {
    assert!(has_shape("ABC123456789", "@@@#########"));
    assert!(!has_shape("AB1123456789", "@@@#########"));
    assert!(has_shape("W1-9", "*#-#"));
    assert!(!has_shape("W1-99", "*#-#"));
}
