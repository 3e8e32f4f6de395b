//! From the X12 reader's 835 model to the service's: the claim the rule judges
//! ([`crate::decide::ClaimRemit`]), and the rows the store keeps (payments, posting lines, findings).

use crate::decide::{Adj, ClaimRemit, LineMatch, LineRemit};
use crate::store::{FileFinding, NewPayment, NewPostingLine, NewProviderAdjustment};
use rcm_x12::x835;

fn adj(a: &x835::Adjustment) -> Adj {
    Adj { group: a.group.to_string(), reason: a.reason.to_string(), amount_cents: a.amount }
}

fn adj_with_quantity(a: &x835::Adjustment) -> (Adj, Option<String>) {
    (adj(a), a.quantity.map(|q| q.to_string()))
}

/// The claim's MOA/MIA remark codes.
fn claim_remarks(c: &x835::Claim) -> Vec<String> {
    let moa = c.outpatient.iter().flat_map(|o| o.remark_codes.iter());
    let mia = c.inpatient.iter().flat_map(|i| i.remark_codes.iter());
    moa.chain(mia).map(|s| s.to_string()).collect()
}

fn line_remarks(l: &x835::ServiceLine) -> Vec<String> {
    l.remarks.iter().map(|r| r.code.to_string()).collect()
}

/// What the rule needs from one CLP loop.
pub fn claim_remit(c: &x835::Claim) -> ClaimRemit {
    ClaimRemit {
        patient_control_number: c.patient_control_number.to_string(),
        status: c.status.to_string(),
        charge_cents: c.charge,
        paid_cents: c.paid,
        patient_responsibility_cents: c.patient_responsibility,
        payer_claim_control_number: c.payer_claim_control_number.to_string(),
        adjustments: c.adjustments.iter().map(adj).collect(),
        remark_codes: claim_remarks(c),
        lines: c
            .lines
            .iter()
            .map(|l| LineRemit {
                control_number: l.control_number.as_ref().map(|s| s.to_string()),
                procedure_code: l.procedure.code.to_string(),
                modifiers: l.procedure.modifiers.iter().map(|m| m.to_string()).collect(),
                service_date: l.date().map(|d| d.to_string()).unwrap_or_default(),
                charge_cents: l.charge,
                paid_cents: l.paid,
                adjustments: l.adjustments.iter().map(adj).collect(),
                remark_codes: line_remarks(l),
            })
            .collect(),
    }
}

/// Claim-level CAS with quantities.
pub fn claim_adjustments(c: &x835::Claim) -> Vec<(Adj, Option<String>)> {
    c.adjustments.iter().map(adj_with_quantity).collect()
}

/// The service lines to store, with the billed line each answers (`matched`, from `decide::match_lines`).
pub fn posting_lines(c: &x835::Claim, matched: &[Option<LineMatch>]) -> Vec<NewPostingLine> {
    c.lines
        .iter()
        .enumerate()
        .map(|(i, l)| NewPostingLine {
            control_number: l.control_number.as_ref().map(|s| s.to_string()),
            billed_line_id: matched.get(i).and_then(|m| m.as_ref()).map(|m| m.line_id.clone()),
            matched_by: matched.get(i).and_then(|m| m.as_ref()).map_or("none", |m| m.by.as_str()),
            procedure_qualifier: l.procedure.qualifier.to_string(),
            procedure_code: l.procedure.code.to_string(),
            modifiers: l.procedure.modifiers.iter().map(|m| m.to_string()).collect(),
            charge_cents: l.charge,
            paid_cents: l.paid,
            units: l.units.map(|u| u.to_string()),
            remark_codes: line_remarks(l),
            adjustments: l.adjustments.iter().map(adj_with_quantity).collect(),
        })
        .collect()
}

/// The payment of one transaction set: BPR, TRN, the payer and its PLB adjustments.
pub fn payment(r: &x835::Remittance) -> NewPayment {
    NewPayment {
        control_number: r.control_number.to_string(),
        trace_number: r.trace.number.to_string(),
        payer_key: r.trace.originator_id.to_string(),
        payer_name: r.payer.name.to_string(),
        payer_id: r
            .payer
            .references
            .iter()
            .find(|x| x.qualifier == "2U")
            .map(|x| x.value.to_string())
            .or_else(|| r.payer.id.as_ref().map(|s| s.to_string()))
            .or_else(|| Some(r.trace.originator_id.to_string())),
        amount_cents: r.payment.amount,
        credit_debit: r.payment.credit_debit.to_string(),
        method: r.payment.method.to_string(),
        payment_date: r.payment.date,
        provider_adjustments: r
            .provider_adjustments
            .iter()
            .flat_map(|p| {
                p.items.iter().map(move |i| NewProviderAdjustment {
                    provider_id: p.provider_id.to_string(),
                    fiscal_period_end: p.fiscal_period_end,
                    reason: i.reason.to_string(),
                    reference: i.reference.as_ref().map(|s| s.to_string()),
                    amount_cents: i.amount,
                })
            })
            .collect(),
    }
}

/// The balancing findings of one payment (transaction set), as text: empty when it balances.
pub fn imbalances(r: &x835::Remittance) -> Vec<String> {
    x835::balance::balance_findings(r)
        .into_iter()
        .filter(|f| f.severity == rcm_x12::Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect()
}

/// The crossover carrier a claim names (NM1*TT): its id (NM109) and name.
pub fn crossover(c: &x835::Claim) -> Option<(String, String)> {
    c.name("TT").map(|n| {
        (
            n.id.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            n.last_name.as_ref().map(|s| s.to_string()).unwrap_or_default(),
        )
    })
}

fn claim_adjustment(a: &x835::Adjustment) -> rcm_proto::common::ClaimAdjustment {
    rcm_proto::common::ClaimAdjustment {
        group: a.group.to_string(),
        reason: a.reason.to_string(),
        amount_cents: a.amount,
        quantity: a.quantity.map(|q| q.to_string()).unwrap_or_default(),
    }
}

/// How the payer of `payment` adjudicated `c`, for the next payer's claim; each line named by the
/// billed line it answers (`matched`).
pub fn adjudication(
    c: &x835::Claim,
    payment: &NewPayment,
    matched: &[Option<LineMatch>],
) -> rcm_proto::common::PayerAdjudication {
    rcm_proto::common::PayerAdjudication {
        payer_id: payment.payer_id.clone().unwrap_or_default(),
        payer_name: payment.payer_name.clone(),
        payer_claim_control_number: c.payer_claim_control_number.to_string(),
        paid_cents: c.paid,
        patient_responsibility_cents: crate::decide::patient_responsibility(&claim_remit(c)),
        adjudication_date: payment.payment_date.map(|d| d.to_string()).unwrap_or_default(),
        adjustments: c.adjustments.iter().map(claim_adjustment).collect(),
        lines: c
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| rcm_proto::common::LineAdjudication {
                line_id: matched.get(i).and_then(|m| m.as_ref()).map(|m| m.line_id.clone()).unwrap_or_default(),
                procedure_code: l.procedure.code.to_string(),
                modifiers: l.procedure.modifiers.iter().map(|m| m.to_string()).collect(),
                units: l.units.map(|u| u.to_string()).unwrap_or_else(|| "1".into()),
                paid_cents: l.paid,
                adjustments: l.adjustments.iter().map(claim_adjustment).collect(),
            })
            .collect(),
    }
}

/// The reader's findings about the file (their messages name segments and amounts, not patients).
pub fn findings(doc: &x835::Document835) -> Vec<FileFinding> {
    doc.findings
        .iter()
        .map(|f| FileFinding {
            severity: match f.severity {
                rcm_x12::Severity::Error => "error".into(),
                rcm_x12::Severity::Warning => "warning".into(),
            },
            code: f.code.to_string(),
            message: f.message.clone(),
            segment: f.position.map(|p| p.segment.min(i32::MAX as usize) as i32),
        })
        .collect()
}

/// The CLP loop as JSON, kept whole for a claim that matched nothing.
pub fn claim_json(c: &x835::Claim) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{self, Outcome};

    /// Three claims as a payer sends them: paid with a copay, one line denied, denied outright.
    const ERA: &str =
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*GOODCLINIC     *240315*1200*^*00501*000000007*0*P*:~
GS*HP*ACMEPAYER*GOODCLINIC*20240315*1200*7*X*005010X221A1~
ST*835*0001~
BPR*I*220*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*888888888*DA*98765*20240315~
TRN*1*EFT777*1512345678~
N1*PR*ACME HEALTH PLAN~
REF*2U*ACME01~
N1*PE*GOOD CLINIC*XX*1234567893~
LX*1~
CLP*PCN-A*1*200*130*20*12*ICN-A*11*1~
NM1*QC*1*TESTPATIENT*ALEX****MI*M0000001~
SVC*HC:99213:25*120*80**1~
CAS*CO*45*20~
CAS*PR*3*20~
REF*6R*A-1~
SVC*HC:85025*80*50**1~
CAS*CO*45*30~
CLP*PCN-B*1*210*85*0*12*ICN-B*11*1~
NM1*QC*1*TESTPATIENT*SAM****MI*M0000002~
SVC*HC:99214*150*85**1~
CAS*CO*45*40**59*25~
SVC*HC:97110*60*0**1~
CAS*CO*50*60~
LQ*HE*N115~
CLP*PCN-C*4*250*0*0*12*ICN-C*11*1~
CAS*CO*197*250~
NM1*QC*1*TESTPATIENT*RIA****MI*M0000003~
MOA***N54~
PLB*1234567893*20241231*L6*-5~
SE*28*0001~
GE*1*7~
IEA*1*000000007~
";

    #[test]
    fn a_concrete_835_is_judged_claim_by_claim() {
        let doc = x835::parse_835(ERA.as_bytes()).unwrap();
        assert!(doc.is_clean(), "{:?}", doc.findings);
        let r = &doc.remittances[0];
        let claims: Vec<_> = r.claims().collect();
        let outcomes: Vec<Outcome> = claims.iter().map(|c| decide::adjudicate(&claim_remit(c))).collect();
        assert_eq!(outcomes, vec![Outcome::Paid, Outcome::PartiallyPaid, Outcome::Denied]);

        let a = claim_remit(claims[0]);
        assert_eq!((a.charge_cents, a.paid_cents, a.patient_responsibility_cents), (20_000, 13_000, Some(2_000)));
        assert_eq!(a.lines[0].control_number.as_deref(), Some("A-1"));
        let m = crate::decide::LineMatch { line_id: "A-1".into(), by: crate::decide::MatchedBy::ControlNumber };
        let lines = posting_lines(claims[0], &[Some(m), None]);
        assert_eq!(lines[0].modifiers, vec!["25"]);
        assert_eq!(lines[0].adjustments.len(), 2);
        assert_eq!(lines[1].billed_line_id, None);

        let b = claim_remit(claims[1]);
        assert_eq!(b.lines[0].adjustments, vec![Adj::new("CO", "45", 4_000), Adj::new("CO", "59", 2_500)]);
        assert_eq!(decide::remark_codes(&b), vec!["N115"]);

        let c = claim_remit(claims[2]);
        assert_eq!(c.remark_codes, vec!["N54"], "MOA remark codes are the claim's");
        assert_eq!(claim_adjustments(claims[2]), vec![(Adj::new("CO", "197", 25_000), None)]);

        let p = payment(r);
        assert_eq!(
            (p.trace_number.as_str(), p.amount_cents, p.payer_id.as_deref()),
            ("EFT777", 22_000, Some("ACME01"))
        );
        assert_eq!(p.provider_adjustments.len(), 1);
        assert_eq!((p.provider_adjustments[0].reason.as_str(), p.provider_adjustments[0].amount_cents), ("L6", -500));
    }

    #[test]
    fn findings_keep_code_severity_and_segment() {
        let unbalanced = ERA.replace("BPR*I*220*", "BPR*I*300*");
        let doc = x835::parse_835(unbalanced.as_bytes()).unwrap();
        let f = findings(&doc);
        let t = f.iter().find(|f| f.code == "balance.transaction").expect("a transaction balancing finding");
        assert_eq!(t.severity, "error");
        assert!(t.segment.is_some());
    }
}
