//! The 835 writer: one interchange with one functional group (`HP`) and an ST..SE per remittance.
//!
//! Lists are written in model order; claim- and line-level CAS are regrouped, consecutive adjustments
//! with the same group code going into one CAS of up to six triples. ST03 is not written (the guide
//! marks it not used for the 835). Control numbers come from the headers given, not from
//! [`Remittance::interchange_control_number`] / [`Remittance::group_control_number`].
//!
//! A [`ProviderAdjustment`] with more than six items is written as several PLB segments, which the
//! guide allows; pyx12's map, though, takes only one PLB per transaction set, so a remittance meant
//! to pass pyx12 should keep to one `ProviderAdjustment` of at most six items.

use super::model::*;
use crate::error::{Result, X12Error};
use crate::syntax::{Delimiters, GroupHeader, InterchangeHeader, Writer};
use compact_str::CompactString as Str;
use rust_decimal::Decimal;

/// How to write: the delimiters, and whether to put a line break after every segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    pub delimiters: Delimiters,
    pub line_breaks: bool,
}

/// Writes `remittances` as one interchange with the default delimiters (`*`, `:`, `^`, `~`).
pub fn write_835(interchange: &InterchangeHeader, group: &GroupHeader, remittances: &[Remittance]) -> Result<String> {
    write_835_with(interchange, group, remittances, WriteOptions::default())
}

/// Writes `remittances` as one interchange.
pub fn write_835_with(
    interchange: &InterchangeHeader,
    group: &GroupHeader,
    remittances: &[Remittance],
    options: WriteOptions,
) -> Result<String> {
    let lines: usize = remittances.iter().flat_map(|r| r.claims()).map(|c| c.lines.len() + 1).sum();
    let mut o = Out { w: Writer::with_capacity(options.delimiters, 1024 + lines * 200), nl: options.line_breaks };
    o.w.isa(interchange)?;
    o.end_extra();
    o.w.gs(group);
    o.end_extra();
    for r in remittances {
        write_remittance(&mut o, r)?;
    }
    o.w.ge(remittances.len(), group);
    o.end_extra();
    o.w.iea(1, interchange);
    o.end_extra();
    o.w.finish()
}

struct Out {
    w: Writer,
    nl: bool,
}

impl Out {
    #[inline]
    fn seg(&mut self, id: &str) -> &mut Writer {
        self.w.seg(id)
    }

    #[inline]
    fn end(&mut self) {
        self.w.end();
        self.end_extra();
    }

    /// The line break after a segment the syntax writer ended itself (ISA, GS).
    #[inline]
    fn end_extra(&mut self) {
        if self.nl {
            self.w.newline();
        }
    }
}

/// Optional values and decimals on the syntax writer.
trait WriterExt {
    fn ostr(&mut self, v: &Option<Str>, field: &str) -> &mut Self;
    fn odec(&mut self, v: Option<Decimal>) -> &mut Self;
}

impl WriterExt for Writer {
    #[inline]
    fn ostr(&mut self, v: &Option<Str>, field: &str) -> &mut Self {
        self.field(v.as_deref().unwrap_or(""), field)
    }

    #[inline]
    fn odec(&mut self, v: Option<Decimal>) -> &mut Self {
        match v {
            Some(d) => self.decimal(d),
            None => self.el(""),
        }
    }
}

fn write_remittance(o: &mut Out, r: &Remittance) -> Result<()> {
    o.w.reset_count();
    o.seg("ST").el("835").field(&r.control_number, "ST02");
    o.end();
    let p = &r.payment;
    let w = o.seg("BPR");
    w.field(&p.handling, "BPR01").amount(p.amount).field(&p.credit_debit, "BPR03").field(&p.method, "BPR04");
    w.ostr(&p.format, "BPR05")
        .ostr(&p.sender_dfi_qualifier, "BPR06")
        .ostr(&p.sender_dfi_id, "BPR07")
        .ostr(&p.sender_account_qualifier, "BPR08")
        .ostr(&p.sender_account, "BPR09")
        .ostr(&p.originator_id, "BPR10")
        .ostr(&p.originator_supplemental_code, "BPR11")
        .ostr(&p.receiver_dfi_qualifier, "BPR12")
        .ostr(&p.receiver_dfi_id, "BPR13")
        .ostr(&p.receiver_account_qualifier, "BPR14")
        .ostr(&p.receiver_account, "BPR15");
    if let Some(d) = p.date {
        w.date(d);
    }
    o.end();
    let t = &r.trace;
    o.seg("TRN")
        .field(&t.trace_type, "TRN01")
        .field(&t.number, "TRN02")
        .field(&t.originator_id, "TRN03")
        .ostr(&t.originator_supplemental_code, "TRN04");
    o.end();
    if let Some(c) = &r.currency {
        o.seg("CUR").el("PR").field(c, "CUR02");
        o.end();
    }
    if let Some(v) = &r.receiver_id {
        o.seg("REF").el("EV").field(v, "REF02");
        o.end();
    }
    if let Some(v) = &r.version_id {
        o.seg("REF").el("F2").field(v, "REF02");
        o.end();
    }
    if let Some(d) = r.production_date {
        o.seg("DTM").el("405").date(d);
        o.end();
    }

    let py = &r.payer;
    o.seg("N1").el("PR").field(&py.name, "N102").ostr(&py.id_qualifier, "N103").ostr(&py.id, "N104");
    o.end();
    write_address(o, py.address.as_ref());
    write_refs(o, &py.references);
    for c in &py.contacts {
        write_per(o, c);
    }

    let pe = &r.payee;
    o.seg("N1").el("PE").field(&pe.name, "N102").ostr(&pe.id_qualifier, "N103").ostr(&pe.id, "N104");
    o.end();
    write_address(o, pe.address.as_ref());
    write_refs(o, &pe.references);
    if let Some(d) = &pe.delivery {
        o.seg("RDM").field(&d.method, "RDM01").ostr(&d.name, "RDM02").ostr(&d.number, "RDM03");
        o.end();
    }

    for g in &r.claim_groups {
        o.seg("LX").el(&g.number.to_string());
        o.end();
        if let Some(s) = &g.summary {
            write_ts3(o, s);
        }
        if let Some(s) = &g.supplemental {
            write_ts2(o, s);
        }
        for c in &g.claims {
            write_claim(o, c)?;
        }
    }

    for plb in &r.provider_adjustments {
        if plb.items.is_empty() {
            return Err(X12Error::Write { field: "PLB".into(), msg: "has no adjustment items".into() });
        }
        for chunk in plb.items.chunks(6) {
            let w = o.seg("PLB");
            w.field(&plb.provider_id, "PLB01").date(plb.fiscal_period_end);
            for item in chunk {
                w.composite(&[&item.reason, item.reference.as_deref().unwrap_or("")]).amount(item.amount);
            }
            o.end();
        }
    }
    let count = o.w.count() + 1;
    o.seg("SE").el(&count.to_string()).field(&r.control_number, "SE02");
    o.end();
    Ok(())
}

fn write_address(o: &mut Out, a: Option<&Address>) {
    let Some(a) = a else { return };
    if a.line1.is_some() || a.line2.is_some() {
        o.seg("N3").ostr(&a.line1, "N301").ostr(&a.line2, "N302");
        o.end();
    }
    if a.city.is_some()
        || a.state.is_some()
        || a.postal_code.is_some()
        || a.country.is_some()
        || a.country_subdivision.is_some()
    {
        o.seg("N4")
            .ostr(&a.city, "N401")
            .ostr(&a.state, "N402")
            .ostr(&a.postal_code, "N403")
            .ostr(&a.country, "N404")
            .skip(2)
            .ostr(&a.country_subdivision, "N407");
        o.end();
    }
}

fn write_refs(o: &mut Out, refs: &[Reference]) {
    for r in refs {
        o.seg("REF").field(&r.qualifier, "REF01").field(&r.value, "REF02");
        o.end();
    }
}

fn write_per(o: &mut Out, c: &Contact) {
    let w = o.seg("PER");
    w.field(&c.function, "PER01").ostr(&c.name, "PER02");
    for k in c.communications.iter().take(3) {
        w.field(&k.qualifier, "PER03").field(&k.number, "PER04");
    }
    o.end();
}

fn write_dates(o: &mut Out, dates: &[DateRef]) {
    for d in dates {
        o.seg("DTM").field(&d.qualifier, "DTM01").date(d.date);
        o.end();
    }
}

fn write_amounts(o: &mut Out, amounts: &[AmountRef]) {
    for a in amounts {
        o.seg("AMT").field(&a.qualifier, "AMT01").amount(a.amount);
        o.end();
    }
}

fn write_quantities(o: &mut Out, quantities: &[QuantityRef]) {
    for q in quantities {
        o.seg("QTY").field(&q.qualifier, "QTY01").decimal(q.quantity);
        o.end();
    }
}

fn write_cas(o: &mut Out, adjustments: &[Adjustment]) {
    for same_group in adjustments.chunk_by(|a, b| a.group == b.group) {
        for chunk in same_group.chunks(6) {
            let Some(first) = chunk.first() else { continue };
            let w = o.seg("CAS");
            w.field(&first.group, "CAS01");
            for a in chunk {
                w.field(&a.reason, "CAS02").amount(a.amount).odec(a.quantity);
            }
            o.end();
        }
    }
}

fn write_procedure(w: &mut Writer, p: &Procedure, field: &str) -> Result<()> {
    if p.modifiers.len() > 4 {
        return Err(X12Error::Write { field: field.into(), msg: "has more than four procedure modifiers".into() });
    }
    let m = |i: usize| p.modifiers.get(i).map_or("", |s| s.as_str());
    w.composite(&[&p.qualifier, &p.code, m(0), m(1), m(2), m(3), p.description.as_deref().unwrap_or("")]);
    Ok(())
}

fn write_claim(o: &mut Out, c: &Claim) -> Result<()> {
    o.seg("CLP")
        .field(&c.patient_control_number, "CLP01")
        .field(&c.status, "CLP02")
        .amount(c.charge)
        .amount(c.paid)
        .opt_amount(c.patient_responsibility)
        .field(&c.filing_indicator, "CLP06")
        .field(&c.payer_claim_control_number, "CLP07")
        .ostr(&c.facility_type, "CLP08")
        .ostr(&c.frequency, "CLP09")
        .skip(1)
        .ostr(&c.drg_code, "CLP11")
        .odec(c.drg_weight)
        .odec(c.discharge_fraction);
    o.end();
    write_cas(o, &c.adjustments);
    for n in &c.names {
        o.seg("NM1")
            .field(&n.entity, "NM101")
            .field(&n.entity_type, "NM102")
            .ostr(&n.last_name, "NM103")
            .ostr(&n.first_name, "NM104")
            .ostr(&n.middle_name, "NM105")
            .skip(1)
            .ostr(&n.suffix, "NM107")
            .ostr(&n.id_qualifier, "NM108")
            .ostr(&n.id, "NM109");
        o.end();
    }
    if let Some(m) = &c.inpatient {
        write_mia(o, m)?;
    }
    if let Some(m) = &c.outpatient {
        if m.remark_codes.len() > 5 {
            return Err(X12Error::Write { field: "MOA".into(), msg: "has more than five remark codes".into() });
        }
        let rc = |i: usize| m.remark_codes.get(i).map_or("", |s| s.as_str());
        o.seg("MOA")
            .odec(m.reimbursement_rate)
            .opt_amount(m.hcpcs_payable)
            .field(rc(0), "MOA03")
            .field(rc(1), "MOA04")
            .field(rc(2), "MOA05")
            .field(rc(3), "MOA06")
            .field(rc(4), "MOA07")
            .opt_amount(m.esrd_payment)
            .opt_amount(m.nonpayable_professional_component);
        o.end();
    }
    write_refs(o, &c.references);
    write_dates(o, &c.dates);
    for p in &c.contacts {
        write_per(o, p);
    }
    write_amounts(o, &c.amounts);
    write_quantities(o, &c.quantities);
    for l in &c.lines {
        write_line(o, l)?;
    }
    Ok(())
}

fn write_mia(o: &mut Out, m: &InpatientAdjudication) -> Result<()> {
    if m.remark_codes.len() > 5 {
        return Err(X12Error::Write { field: "MIA".into(), msg: "has more than five remark codes".into() });
    }
    let rc = |i: usize| m.remark_codes.get(i).map_or("", |s| s.as_str());
    o.seg("MIA")
        .decimal(m.covered_days)
        .opt_amount(m.pps_operating_outlier)
        .odec(m.lifetime_psychiatric_days)
        .opt_amount(m.claim_drg)
        .field(rc(0), "MIA05")
        .opt_amount(m.disproportionate_share)
        .opt_amount(m.msp_pass_through)
        .opt_amount(m.pps_capital)
        .opt_amount(m.pps_capital_fsp_drg)
        .opt_amount(m.pps_capital_hsp_drg)
        .opt_amount(m.pps_capital_dsh_drg)
        .opt_amount(m.old_capital)
        .opt_amount(m.pps_capital_ime)
        .opt_amount(m.pps_operating_hospital_specific_drg)
        .odec(m.cost_report_days)
        .opt_amount(m.pps_operating_federal_specific_drg)
        .opt_amount(m.pps_capital_outlier)
        .opt_amount(m.indirect_teaching)
        .opt_amount(m.nonpayable_professional_component)
        .field(rc(1), "MIA20")
        .field(rc(2), "MIA21")
        .field(rc(3), "MIA22")
        .field(rc(4), "MIA23")
        .opt_amount(m.pps_capital_exception);
    o.end();
    Ok(())
}

fn write_line(o: &mut Out, l: &ServiceLine) -> Result<()> {
    let w = o.seg("SVC");
    write_procedure(w, &l.procedure, "SVC01")?;
    w.amount(l.charge).amount(l.paid).ostr(&l.revenue_code, "SVC04").odec(l.units);
    match &l.original_procedure {
        Some(p) => write_procedure(w, p, "SVC06")?,
        None => {
            w.el("");
        }
    }
    w.odec(l.original_units);
    o.end();
    for (qualifier, date) in [("472", l.service_date), ("150", l.service_start), ("151", l.service_end)] {
        if let Some(d) = date {
            o.seg("DTM").el(qualifier).date(d);
            o.end();
        }
    }
    write_dates(o, &l.dates);
    write_cas(o, &l.adjustments);
    if let Some(v) = &l.control_number {
        o.seg("REF").el("6R").field(v, "REF02");
        o.end();
    }
    write_refs(o, &l.references);
    if let Some(a) = l.allowed {
        o.seg("AMT").el("B6").amount(a);
        o.end();
    }
    write_amounts(o, &l.amounts);
    write_quantities(o, &l.quantities);
    for r in &l.remarks {
        o.seg("LQ").field(&r.qualifier, "LQ01").field(&r.code, "LQ02");
        o.end();
    }
    Ok(())
}

fn write_ts3(o: &mut Out, s: &ProviderSummary) {
    o.seg("TS3")
        .field(&s.provider_id, "TS301")
        .field(&s.facility_code, "TS302")
        .date(s.fiscal_period_end)
        .decimal(s.claim_count)
        .amount(s.total_charge)
        .skip(7)
        .opt_amount(s.total_msp_payer)
        .skip(1)
        .opt_amount(s.total_non_lab_charge)
        .skip(1)
        .opt_amount(s.total_hcpcs_reported_charge)
        .opt_amount(s.total_hcpcs_payable)
        .skip(1)
        .opt_amount(s.total_professional_component)
        .opt_amount(s.total_msp_patient_liability_met)
        .opt_amount(s.total_patient_reimbursement)
        .odec(s.total_pip_claim_count)
        .opt_amount(s.total_pip_adjustment);
    o.end();
}

fn write_ts2(o: &mut Out, s: &ProviderSupplementalSummary) {
    o.seg("TS2")
        .opt_amount(s.total_drg)
        .opt_amount(s.total_federal_specific)
        .opt_amount(s.total_hospital_specific)
        .opt_amount(s.total_disproportionate_share)
        .opt_amount(s.total_capital)
        .opt_amount(s.total_indirect_medical_education)
        .odec(s.total_outlier_day_count)
        .opt_amount(s.total_day_outlier)
        .opt_amount(s.total_cost_outlier)
        .odec(s.average_drg_length_of_stay)
        .odec(s.total_discharge_count)
        .odec(s.total_cost_report_day_count)
        .odec(s.total_covered_day_count)
        .odec(s.total_noncovered_day_count)
        .opt_amount(s.total_msp_pass_through)
        .odec(s.average_drg_weight)
        .opt_amount(s.total_pps_capital_fsp_drg)
        .opt_amount(s.total_pps_capital_hsp_drg)
        .opt_amount(s.total_pps_dsh_drg);
    o.end();
}
