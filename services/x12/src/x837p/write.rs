//! Writes 837P interchanges from the claim model.

use super::model::*;
use crate::error::{Result, X12Error};
use crate::syntax::{Delimiters, Writer};

/// Implementation convention reference of the 837P (ST03, GS08).
pub const VERSION: &str = "005010X222A1";
/// Most diagnosis codes on one claim (HI), and most lines (LX) per claim.
pub const MAX_DIAGNOSES: usize = 12;
pub const MAX_LINES: usize = 50;

/// How to lay out the file.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    pub delimiters: Delimiters,
    /// A line break after every segment terminator (easier to read; allowed by every reader we know).
    pub line_breaks: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { delimiters: Delimiters::default(), line_breaks: true }
    }
}

/// Writes the interchange with the default delimiters and a line break after each segment.
pub fn write_837p(ic: &Interchange837) -> Result<String> {
    write_837p_with(ic, WriteOptions::default())
}

pub fn write_837p_with(ic: &Interchange837, opts: WriteOptions) -> Result<String> {
    let claims: usize = ic.groups.iter().flat_map(|g| &g.transactions).map(|t| t.claims.len()).sum();
    let mut w = Writer::with_capacity(opts.delimiters, 1024 + claims * 1200);
    let nl = |w: &mut Writer| {
        if opts.line_breaks {
            w.newline()
        }
    };
    w.isa(&ic.header)?;
    nl(&mut w);
    for g in &ic.groups {
        w.gs(&g.header);
        nl(&mut w);
        for t in &g.transactions {
            write_transaction(&mut w, t, opts.line_breaks)?;
        }
        w.ge(g.transactions.len(), &g.header);
        nl(&mut w);
    }
    w.iea(ic.groups.len(), &ic.header);
    nl(&mut w);
    w.finish()
}

fn invalid(field: impl Into<String>, msg: impl Into<String>) -> X12Error {
    X12Error::Write { field: field.into(), msg: msg.into() }
}

/// Checks the rules of the guide that the model's types do not already enforce.
fn check_claim(c: &Claim, i: usize) -> Result<()> {
    let at = |f: &str| format!("claim {} ({f})", i + 1);
    if c.patient_control_number.is_empty() || c.patient_control_number.len() > 38 {
        return Err(invalid(at("CLM01"), "the patient control number must be 1 to 38 characters"));
    }
    if c.diagnoses.is_empty() || c.diagnoses.len() > MAX_DIAGNOSES {
        return Err(invalid(at("HI"), format!("a claim needs 1 to {MAX_DIAGNOSES} diagnosis codes")));
    }
    if c.lines.is_empty() || c.lines.len() > MAX_LINES {
        return Err(invalid(at("LX"), format!("a claim needs 1 to {MAX_LINES} service lines")));
    }
    let sum: i64 = c.lines.iter().map(|l| l.charge).sum();
    if sum != c.total_charge {
        return Err(invalid(at("CLM02"), "the total charge must equal the sum of the line charges"));
    }
    if matches!(c.frequency.as_str(), "7" | "8") && c.payer_claim_control_number.is_none() {
        return Err(invalid(
            at("REF*F8"),
            "a replacement (7) or void (8) claim needs the payer's claim control number",
        ));
    }
    if c.patient.is_none() && (c.subscriber.address.is_none() || c.subscriber.demographics.is_none()) {
        return Err(invalid(
            at("2010BA"),
            "when the subscriber is the patient, their address and demographics are required",
        ));
    }
    for (n, l) in c.lines.iter().enumerate() {
        let at = |f: &str| format!("claim {} line {} ({f})", i + 1, n + 1);
        if l.diagnosis_pointers.is_empty() || l.diagnosis_pointers.len() > 4 {
            return Err(invalid(at("SV107"), "a line needs 1 to 4 diagnosis pointers"));
        }
        if l.diagnosis_pointers.iter().any(|&p| p == 0 || p as usize > c.diagnoses.len()) {
            return Err(invalid(at("SV107"), "a diagnosis pointer points past the claim's diagnoses"));
        }
        if l.procedure.modifiers.len() > 4 {
            return Err(invalid(at("SV101"), "at most four modifiers"));
        }
        if l.units <= rust_decimal::Decimal::ZERO {
            return Err(invalid(at("SV104"), "units must be positive"));
        }
    }
    Ok(())
}

/// Claims sharing a billing provider, then a subscriber, go under one HL each.
fn same_provider(a: &Claim, b: &Claim) -> bool {
    a.billing_provider == b.billing_provider && a.pay_to_address == b.pay_to_address
}

fn same_subscriber(a: &Claim, b: &Claim) -> bool {
    same_provider(a, b)
        && a.subscriber == b.subscriber
        && a.payer == b.payer
        && a.patient.is_some() == b.patient.is_some()
}

fn write_transaction(w: &mut Writer, t: &Transaction837, line_breaks: bool) -> Result<()> {
    let nl = |w: &mut Writer| {
        if line_breaks {
            w.newline()
        }
    };
    if !(4..=9).contains(&t.control_number.len()) {
        return Err(invalid("ST02", "the transaction set control number must be 4 to 9 characters"));
    }
    if t.claims.is_empty() {
        return Err(invalid("2300", "a transaction set needs at least one claim"));
    }
    for (i, c) in t.claims.iter().enumerate() {
        check_claim(c, i)?;
    }
    w.reset_count();
    w.seg("ST").el("837").field(&t.control_number, "ST02").el(VERSION).end();
    nl(w);
    let time = t.created_time.format("%H%M").to_string();
    w.seg("BHT")
        .el("0019")
        .field(&t.purpose, "BHT02")
        .field(&t.reference, "BHT03")
        .date(t.created_date)
        .el(&time)
        .el("CH")
        .end();
    nl(w);
    // 1000A submitter, 1000B receiver
    w.seg("NM1").el("41");
    name(w, &t.submitter.name);
    w.el("46").field(&t.submitter.id, "submitter id").end();
    nl(w);
    contact(w, &t.submitter.contact);
    nl(w);
    w.seg("NM1")
        .el("40")
        .el("2")
        .field(&t.receiver.name, "receiver name")
        .skip(4)
        .el("46")
        .field(&t.receiver.id, "receiver id")
        .end();
    nl(w);

    let mut hl = 0usize;
    let mut provider_hl = 0usize;
    let mut subscriber_hl = 0usize;
    let mut prev: Option<&Claim> = None;
    for c in &t.claims {
        if !prev.is_some_and(|p| same_provider(p, c)) {
            hl += 1;
            provider_hl = hl;
            w.seg("HL").el(&hl.to_string()).el("").el("20").el("1").end();
            nl(w);
            billing_provider(w, c, line_breaks);
        }
        if !prev.is_some_and(|p| same_subscriber(p, c)) {
            hl += 1;
            subscriber_hl = hl;
            let child = if c.patient.is_some() { "1" } else { "0" };
            w.seg("HL").el(&hl.to_string()).el(&provider_hl.to_string()).el("22").el(child).end();
            nl(w);
            subscriber(w, c, line_breaks);
        }
        if let Some(p) = &c.patient {
            let same_patient = prev.is_some_and(|pc| same_subscriber(pc, c) && pc.patient.as_ref() == Some(p));
            if !same_patient {
                hl += 1;
                w.seg("HL").el(&hl.to_string()).el(&subscriber_hl.to_string()).el("23").el("0").end();
                nl(w);
                w.seg("PAT").field(&p.relationship, "PAT01").end();
                nl(w);
                w.seg("NM1").el("QC").el("1");
                person(w, &p.name);
                w.end();
                nl(w);
                address(w, &p.address, line_breaks);
                demographics(w, &p.demographics);
                nl(w);
            }
        }
        claim(w, c, line_breaks);
        prev = Some(c);
    }
    let count = (w.count() + 1).to_string();
    w.seg("SE").el(&count).field(&t.control_number, "SE02").end();
    nl(w);
    match w.take_error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// NM102..NM107 for a name.
fn name(w: &mut Writer, n: &Name) {
    match n {
        Name::Organization { name } => {
            w.el("2").field(name, "organization name").skip(4);
        }
        Name::Person(p) => {
            w.el("1");
            person(w, p);
        }
    }
}

/// NM103..NM107 for a person (NM106, the prefix, is not used in 5010).
fn person(w: &mut Writer, p: &PersonName) {
    w.field(&p.last, "last name")
        .field(p.first.as_deref().unwrap_or(""), "first name")
        .field(p.middle.as_deref().unwrap_or(""), "middle name")
        .el("")
        .field(p.suffix.as_deref().unwrap_or(""), "name suffix");
}

fn address(w: &mut Writer, a: &Address, line_breaks: bool) {
    w.seg("N3").field(&a.line1, "address line").field(a.line2.as_deref().unwrap_or(""), "address line 2").end();
    if line_breaks {
        w.newline();
    }
    w.seg("N4")
        .field(&a.city, "city")
        .field(a.state.as_deref().unwrap_or(""), "state")
        .field(a.postal_code.as_deref().unwrap_or(""), "postal code")
        .field(a.country.as_deref().unwrap_or(""), "country")
        .end();
    if line_breaks {
        w.newline();
    }
}

fn demographics(w: &mut Writer, d: &Demographics) {
    w.seg("DMG").el("D8").date(d.birth_date).field(&d.gender, "DMG03").end();
}

fn contact(w: &mut Writer, c: &Contact) {
    w.seg("PER").el("IC").field(c.name.as_deref().unwrap_or(""), "contact name");
    if let Some(p) = &c.phone {
        w.el("TE").field(p, "phone");
        if let Some(x) = &c.phone_extension {
            w.el("EX").field(x, "phone extension");
        }
    }
    if let Some(f) = &c.fax {
        w.el("FX").field(f, "fax");
    }
    if let Some(e) = &c.email {
        w.el("EM").field(e, "email");
    }
    w.end();
}

fn billing_provider(w: &mut Writer, c: &Claim, line_breaks: bool) {
    let nl = |w: &mut Writer| {
        if line_breaks {
            w.newline()
        }
    };
    let b = &c.billing_provider;
    if let Some(tx) = &b.taxonomy {
        w.seg("PRV").el("BI").el("PXC").field(tx, "billing provider taxonomy").end();
        nl(w);
    }
    w.seg("NM1").el("85");
    name(w, &b.name);
    w.el("XX").field(&b.npi, "billing provider NPI").end();
    nl(w);
    address(w, &b.address, line_breaks);
    w.seg("REF").field(&b.tax_id.qualifier, "REF01").field(&b.tax_id.value, "tax id").end();
    nl(w);
    if let Some(ct) = &b.contact {
        contact(w, ct);
        nl(w);
    }
    if let Some(a) = &c.pay_to_address {
        w.seg("NM1").el("87").el("2").end();
        nl(w);
        address(w, a, line_breaks);
    }
}

fn subscriber(w: &mut Writer, c: &Claim, line_breaks: bool) {
    let nl = |w: &mut Writer| {
        if line_breaks {
            w.newline()
        }
    };
    let s = &c.subscriber;
    let rel = if c.patient.is_none() { "18" } else { "" };
    w.seg("SBR")
        .field(&s.payer_responsibility, "SBR01")
        .el(rel)
        .field(s.group_number.as_deref().unwrap_or(""), "group number")
        .field(s.group_name.as_deref().unwrap_or(""), "group name")
        .field(s.insurance_type.as_deref().unwrap_or(""), "SBR05")
        .skip(3)
        .field(&s.claim_filing, "SBR09")
        .end();
    nl(w);
    w.seg("NM1").el("IL").el("1");
    person(w, &s.name);
    w.el("MI").field(&s.member_id, "member id").end();
    nl(w);
    if let Some(a) = &s.address {
        address(w, a, line_breaks);
    }
    if let Some(d) = &s.demographics {
        demographics(w, d);
        nl(w);
    }
    payer(w, &c.payer, line_breaks);
}

fn payer(w: &mut Writer, p: &Payer, line_breaks: bool) {
    w.seg("NM1").el("PR").el("2").field(&p.name, "payer name").skip(4).el("PI").field(&p.id, "payer id").end();
    if line_breaks {
        w.newline();
    }
    if let Some(a) = &p.address {
        address(w, a, line_breaks);
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

/// CAS segments: one per run of the same group code, at most six triples each.
fn adjustments(w: &mut Writer, adj: &[Adjustment], line_breaks: bool) {
    let mut i = 0;
    while i < adj.len() {
        let group = &adj[i].group;
        w.seg("CAS").field(group, "CAS01");
        let mut n = 0;
        while i < adj.len() && adj[i].group == *group && n < 6 {
            let a = &adj[i];
            w.field(&a.reason, "CAS reason").amount(a.amount);
            match a.quantity {
                Some(q) => w.decimal(q),
                None => w.el(""),
            };
            i += 1;
            n += 1;
        }
        w.end();
        if line_breaks {
            w.newline();
        }
    }
}

fn procedure(w: &mut Writer, p: &Procedure) {
    let mut parts: [&str; 6] = [&p.qualifier, &p.code, "", "", "", ""];
    for (k, m) in p.modifiers.iter().take(4).enumerate() {
        parts[2 + k] = m;
    }
    w.composite(&parts);
}

fn claim(w: &mut Writer, c: &Claim, line_breaks: bool) {
    let nl = |w: &mut Writer| {
        if line_breaks {
            w.newline()
        }
    };
    w.seg("CLM").field(&c.patient_control_number, "CLM01").amount(c.total_charge).skip(2);
    w.composite(&[&c.place_of_service, "B", &c.frequency])
        .el(yes_no(c.provider_signature))
        .field(&c.assignment, "CLM07")
        .field(&c.benefits_assigned, "CLM08")
        .field(&c.release_of_information, "CLM09")
        .end();
    nl(w);
    if let Some(d) = c.onset_date {
        w.seg("DTP").el("431").el("D8").date(d).end();
        nl(w);
    }
    if let Some(r) = &c.prior_authorization {
        w.seg("REF").el("G1").field(r, "prior authorization").end();
        nl(w);
    }
    if let Some(r) = &c.payer_claim_control_number {
        w.seg("REF").el("F8").field(r, "payer claim control number").end();
        nl(w);
    }
    if let Some(n) = &c.note {
        w.seg("NTE").field(&n.code, "NTE01").field(&n.text, "note").end();
        nl(w);
    }
    w.seg("HI");
    for (k, d) in c.diagnoses.iter().enumerate() {
        w.composite(&[if k == 0 { "ABK" } else { "ABF" }, d]);
    }
    w.end();
    nl(w);
    if let Some(p) = &c.referring_provider {
        w.seg("NM1").el("DN");
        name(w, &p.name);
        w.el("XX").field(&p.npi, "referring provider NPI").end();
        nl(w);
    }
    if let Some(p) = &c.rendering_provider {
        w.seg("NM1").el("82");
        name(w, &p.name);
        w.el("XX").field(&p.npi, "rendering provider NPI").end();
        nl(w);
        if let Some(tx) = &p.taxonomy {
            w.seg("PRV").el("PE").el("PXC").field(tx, "rendering provider taxonomy").end();
            nl(w);
        }
    }
    for o in &c.other_subscribers {
        w.seg("SBR")
            .field(&o.payer_responsibility, "SBR01")
            .field(&o.relationship, "SBR02")
            .field(o.group_number.as_deref().unwrap_or(""), "group number")
            .skip(5)
            .field(&o.claim_filing, "SBR09")
            .end();
        nl(w);
        adjustments(w, &o.adjustments, line_breaks);
        if let Some(p) = o.paid {
            w.seg("AMT").el("D").amount(p).end();
            nl(w);
        }
        w.seg("OI").skip(2).field(&o.benefits_assigned, "OI03").skip(2).field(&o.release_of_information, "OI06").end();
        nl(w);
        w.seg("NM1").el("IL").el("1");
        person(w, &o.name);
        w.el("MI").field(&o.member_id, "other subscriber member id").end();
        nl(w);
        w.seg("NM1").el("PR").el("2").field(&o.payer.name, "other payer name").skip(4).el("PI");
        w.field(&o.payer.id, "other payer id").end();
        nl(w);
        if let Some(a) = &o.payer.address {
            address(w, a, line_breaks);
        }
        if let Some(d) = o.adjudication_date {
            w.seg("DTP").el("573").el("D8").date(d).end();
            nl(w);
        }
    }
    for (n, l) in c.lines.iter().enumerate() {
        w.seg("LX").el(&(n + 1).to_string()).end();
        nl(w);
        w.seg("SV1");
        procedure(w, &l.procedure);
        w.amount(l.charge).field(&l.unit, "SV103").decimal(l.units);
        w.field(l.place_of_service.as_deref().unwrap_or(""), "SV105").el("");
        let mut ptr = [""; 4];
        const DIGITS: [&str; 13] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
        for (k, &p) in l.diagnosis_pointers.iter().take(4).enumerate() {
            ptr[k] = DIGITS[(p as usize).min(12)];
        }
        w.composite(&ptr).end();
        nl(w);
        match l.service_date_end {
            Some(end) if end != l.service_date => {
                let mut range = String::with_capacity(17);
                crate::value::write_date(&mut range, l.service_date);
                range.push('-');
                crate::value::write_date(&mut range, end);
                w.seg("DTP").el("472").el("RD8").el(&range).end();
            }
            _ => {
                w.seg("DTP").el("472").el("D8").date(l.service_date).end();
            }
        }
        nl(w);
        if let Some(r) = &l.control_number {
            w.seg("REF").el("6R").field(r, "line item control number").end();
            nl(w);
        }
        for a in &l.adjudications {
            w.seg("SVD").field(&a.payer_id, "SVD01").amount(a.paid);
            procedure(w, &a.procedure);
            w.el("").decimal(a.units).end();
            nl(w);
            adjustments(w, &a.adjustments, line_breaks);
            w.seg("DTP").el("573").el("D8").date(a.date).end();
            nl(w);
        }
    }
}
