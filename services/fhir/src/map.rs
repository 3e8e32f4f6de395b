//! From the bundle's resources to one `Encounter` message per FHIR Encounter.

use std::collections::{HashMap, HashSet};

use rcm_proto::common::{self as pb, Finding};
use rust_decimal::Decimal;

use crate::bundle::{self, Bundle, Entry, Resource, Target};
use crate::findings::{Findings, rules};
use crate::model::{self, CodeableConcept, Coding, Dec, Money, Reference};
use crate::money::{decimal_to_cents, format_cents};
use crate::npi::{NpiProblem, check_npi};

pub(crate) const NPI_SYSTEMS: &[&str] = &["http://hl7.org/fhir/sid/us-npi", "urn:oid:2.16.840.1.113883.4.6"];
const ICD10CM_SYSTEMS: &[&str] = &["http://hl7.org/fhir/sid/icd-10-cm", "urn:oid:2.16.840.1.113883.6.90"];
const CPT_SYSTEMS: &[&str] = &["http://www.ama-assn.org/go/cpt", "urn:oid:2.16.840.1.113883.6.12"];
const HCPCS_SYSTEMS: &[&str] = &[
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "urn:oid:2.16.840.1.113883.6.285",
    "urn:oid:2.16.840.1.113883.6.14",
];
const EIN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.4.4";
/// Longest clinical note kept, in characters.
const NOTE_MAX_CHARS: usize = 300;

/// Which resources belong to which Encounter (by entry index).
#[derive(Debug, Default)]
struct Links {
    conditions: HashMap<usize, Vec<usize>>,
    procedures: HashMap<usize, Vec<usize>>,
    charge_items: HashMap<usize, Vec<usize>>,
    claims: HashMap<usize, Vec<usize>>,
    eobs: HashMap<usize, Vec<usize>>,
}

fn push_link(map: &mut HashMap<usize, Vec<usize>>, encounter: usize, entry: usize) {
    let list = map.entry(encounter).or_default();
    if !list.contains(&entry) {
        list.push(entry);
    }
}

/// Maps every Encounter of the bundle; bundle-level findings go to `findings`.
pub(crate) fn map_bundle(b: &Bundle, findings: &mut Vec<Finding>) -> Vec<pb::Encounter> {
    let encounters: Vec<usize> =
        b.entries.iter().enumerate().filter(|(_, e)| e.resource_type == "Encounter").map(|(i, _)| i).collect();
    let patients: Vec<usize> = b
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.resource, Resource::Patient(_)))
        .map(|(i, _)| i)
        .collect();
    let only_encounter = if encounters.len() == 1 { encounters.first().copied() } else { None };
    let mut out = Findings::new();
    let links = link(b, only_encounter, &mut out);
    findings.extend(out.into_vec());

    encounters
        .iter()
        .map(|&i| {
            let mut mapper = Mapper { b, links: &links, patients: &patients, f: Findings::new() };
            let mut encounter = mapper.map(i);
            encounter.findings = mapper.f.into_vec();
            encounter
        })
        .collect()
}

fn encounter_of(b: &Bundle, reference: &Reference) -> Option<usize> {
    match b.resolve(reference, "Encounter") {
        Target::Entry(i) if b.entries[i].resource_type == "Encounter" => Some(i),
        _ => None,
    }
}

fn link(b: &Bundle, only_encounter: Option<usize>, f: &mut Findings) -> Links {
    let mut links = Links::default();
    let mut claim_encounters: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, entry) in b.entries.iter().enumerate() {
        match &entry.resource {
            Resource::Condition(c) => {
                if let Some(e) = c.encounter.as_ref().and_then(|r| encounter_of(b, r)) {
                    push_link(&mut links.conditions, e, i);
                }
            }
            Resource::Procedure(p) => {
                if let Some(e) = p.encounter.as_ref().and_then(|r| encounter_of(b, r)).or(only_encounter) {
                    push_link(&mut links.procedures, e, i);
                }
            }
            Resource::ChargeItem(c) => match c.context.as_ref().and_then(|r| encounter_of(b, r)).or(only_encounter) {
                Some(e) => push_link(&mut links.charge_items, e, i),
                None => f.warning(
                    rules::UNLINKED,
                    &format!("entry[{i}]"),
                    format!("{} belongs to no Encounter of the bundle; its charge was not used", entry.label()),
                ),
            },
            Resource::Claim(c) => {
                let mut targets: Vec<usize> =
                    c.item.iter().flat_map(|item| &item.encounter).filter_map(|r| encounter_of(b, r)).collect();
                targets.dedup();
                if targets.is_empty()
                    && let Some(e) = only_encounter
                {
                    targets.push(e);
                }
                if targets.is_empty() {
                    f.warning(
                        rules::UNLINKED,
                        &format!("entry[{i}]"),
                        format!("{} belongs to no Encounter of the bundle; its items were not used", entry.label()),
                    );
                }
                for &e in &targets {
                    push_link(&mut links.claims, e, i);
                }
                claim_encounters.insert(i, targets);
            }
            _ => {}
        }
    }
    for (i, entry) in b.entries.iter().enumerate() {
        if let Resource::ExplanationOfBenefit(eob) = &entry.resource {
            let mut targets: Vec<usize> =
                eob.item.iter().flat_map(|item| &item.encounter).filter_map(|r| encounter_of(b, r)).collect();
            if let Some(Target::Entry(claim)) = eob.claim.as_ref().map(|r| b.resolve(r, "Claim")) {
                targets.extend(claim_encounters.get(&claim).into_iter().flatten());
            }
            for e in targets {
                push_link(&mut links.eobs, e, i);
            }
        }
    }
    links
}

/// Claims with their entry index.
type ClaimRefs<'a> = Vec<(usize, &'a model::Claim)>;

/// One Claim.diagnosis: its codes as (system, code), and those that are ICD-10-CM.
struct SequenceCodes {
    keys: Vec<(String, String)>,
    icd: Vec<String>,
}

/// A line before numbering: what it bills and for how much.
struct Draft<'a> {
    code: Option<&'a CodeableConcept>,
    modifiers: &'a [CodeableConcept],
    quantity: Option<Dec>,
    charge: Charge,
    /// ICD-10-CM codes the source points this line at.
    pointed: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Charge {
    Cents(i64),
    Missing,
    Invalid,
}

struct Mapper<'a> {
    b: &'a Bundle,
    links: &'a Links,
    patients: &'a [usize],
    f: Findings,
}

/// The conditions and codes of one encounter, in order, without repeats.
#[derive(Default)]
struct Diagnoses {
    icd: Vec<String>,
    evidence: Vec<pb::SourceCode>,
    conditions_seen: HashSet<usize>,
}

impl Diagnoses {
    fn add_concept(&mut self, concept: &CodeableConcept) {
        for coding in &concept.coding {
            if let Some(code) = icd10cm(coding)
                && !self.icd.contains(&code)
            {
                self.icd.push(code);
            }
        }
        for code in source_codes(concept) {
            if !self.evidence.iter().any(|e| e.system == code.system && e.code == code.code) {
                self.evidence.push(code);
            }
        }
    }
}

impl<'a> Mapper<'a> {
    fn map(&mut self, index: usize) -> pb::Encounter {
        let b = self.b;
        let entry: &'a Entry = &b.entries[index];
        let mut out = pb::Encounter {
            encounter_id: entry.id.clone().or_else(|| entry.full_url.clone()).unwrap_or_default(),
            source: "fhir".to_owned(),
            ..Default::default()
        };
        let Resource::Encounter(enc) = &entry.resource else {
            self.f.error(
                rules::RESOURCE_UNREADABLE,
                "encounter",
                format!("{} does not have the FHIR R4 shape intake reads; only its id was kept", entry.label()),
            );
            if let [only] = self.patients {
                out.patient = self.patient(*only);
            }
            return out;
        };

        out.service_date = match enc.period.as_ref().and_then(|p| p.start.as_deref()).and_then(date_part) {
            Some(date) => date.to_owned(),
            None => {
                self.f.error(
                    rules::SERVICE_DATE_MISSING,
                    "service_date",
                    "Encounter.period.start is missing or not a date",
                );
                String::new()
            }
        };
        out.place_of_service = self.place_of_service(enc.class.as_ref());
        out.clinical_note = clinical_note(enc);
        let patient_index = self.patient_index(enc.subject.as_ref());
        out.patient = patient_index.and_then(|i| self.patient(i));

        let (billable, pharmacy) = self.claims(index);
        out.billing_provider = self.billing_provider(enc, &billable);
        out.rendering_provider = enc
            .participant
            .iter()
            .find_map(|p| p.individual.as_ref())
            .map(|r| self.provider(r, "rendering_provider", &["Practitioner"]));

        let diagnoses = self.diagnoses(index, enc, &billable, &pharmacy);
        out.coverage = self.coverage(index, patient_index, &billable, &pharmacy, &out.service_date);
        out.lines = self.lines(index, &billable, &pharmacy, &diagnoses.icd, &out.service_date);
        if diagnoses.icd.is_empty() {
            let message = if diagnoses.evidence.is_empty() {
                "the encounter has no diagnoses in the source".to_owned()
            } else {
                format!(
                    "no ICD-10-CM code among the {} source condition codes; coding decides from the conditions",
                    diagnoses.evidence.len()
                )
            };
            self.f.warning(rules::DIAGNOSIS_NOT_ICD10CM, "diagnosis_codes", message);
        }
        out.diagnosis_codes = diagnoses.icd;
        out.conditions = diagnoses.evidence;
        out
    }

    fn place_of_service(&mut self, class: Option<&Coding>) -> String {
        let code = class.and_then(|c| c.code.as_deref()).unwrap_or("");
        let pos = match code {
            "AMB" => "11",
            "EMER" => "23",
            "IMP" | "ACUTE" => "21",
            "VR" => "02",
            "HH" => "12",
            _ => {
                // Only codes of the v3 ActEncounterCode value set are quoted; anything else is described.
                const ACT_ENCOUNTER_CODES: &[&str] = &["FLD", "NONAC", "OBSENC", "PRENC", "SS"];
                let shown = if code.is_empty() {
                    "no Encounter.class code".to_owned()
                } else if ACT_ENCOUNTER_CODES.contains(&code) {
                    format!("Encounter.class {code} is not mapped")
                } else {
                    "Encounter.class is not an ActEncounterCode intake maps".to_owned()
                };
                self.f.warning(
                    rules::PLACE_OF_SERVICE_DEFAULTED,
                    "place_of_service",
                    format!("{shown}; defaulted to 11"),
                );
                "11"
            }
        };
        pos.to_owned()
    }

    /// The billable claims and the pharmacy claims of an encounter.
    fn claims(&self, encounter: usize) -> (ClaimRefs<'a>, ClaimRefs<'a>) {
        let b = self.b;
        let mut billable = Vec::new();
        let mut pharmacy = Vec::new();
        for &i in self.links.claims.get(&encounter).into_iter().flatten() {
            if let Resource::Claim(c) = &b.entries[i].resource {
                if has_code(c.type_.as_ref(), "pharmacy") {
                    pharmacy.push((i, c));
                } else {
                    billable.push((i, c));
                }
            }
        }
        (billable, pharmacy)
    }

    fn patient_index(&mut self, subject: Option<&Reference>) -> Option<usize> {
        let resolved = subject.map(|r| self.b.resolve(r, "Patient"));
        if let Some(Target::Entry(i)) = resolved
            && matches!(self.b.entries[i].resource, Resource::Patient(_))
        {
            return Some(i);
        }
        match self.patients {
            [only] => {
                if subject.is_some() {
                    self.f.warning(
                        rules::REFERENCE_UNRESOLVED,
                        "patient",
                        "Encounter.subject does not resolve to a Patient; the bundle's only Patient was used",
                    );
                }
                Some(*only)
            }
            _ => {
                self.f.error(
                    rules::PATIENT_MISSING,
                    "patient",
                    format!(
                        "Encounter.subject does not resolve to a readable Patient and the bundle has {} of them",
                        self.patients.len()
                    ),
                );
                None
            }
        }
    }

    fn patient(&mut self, index: usize) -> Option<pb::Patient> {
        let b = self.b;
        let Resource::Patient(p) = &b.entries[index].resource else { return None };
        let birth_date = match p.birth_date.as_deref() {
            Some(d) if is_date(d) => d.to_owned(),
            Some(_) => {
                self.f.error(rules::BIRTH_DATE, "patient.birth_date", "Patient.birthDate is not a full date");
                String::new()
            }
            None => {
                self.f.error(rules::BIRTH_DATE, "patient.birth_date", "Patient.birthDate is missing");
                String::new()
            }
        };
        Some(pb::Patient {
            patient_id: p.id.clone().unwrap_or_default(),
            name: person_name(&p.name),
            birth_date,
            gender: gender(p.gender.as_deref()).to_owned(),
            address: p.address.first().map(address),
        })
    }

    fn billing_provider(
        &mut self,
        enc: &model::Encounter,
        billable: &[(usize, &model::Claim)],
    ) -> Option<pb::Provider> {
        let reference = enc
            .service_provider
            .as_ref()
            .filter(|r| !is_empty_reference(r))
            .or_else(|| billable.iter().find_map(|(_, c)| c.provider.as_ref().filter(|r| !is_empty_reference(r))));
        match reference {
            Some(r) => Some(self.provider(r, "billing_provider", &["Organization", "Practitioner"])),
            None => {
                self.f.error(
                    rules::PROVIDER_MISSING,
                    "billing_provider",
                    "neither Encounter.serviceProvider nor Claim.provider is given",
                );
                None
            }
        }
    }

    /// A provider from a reference: the resource when the bundle has it, otherwise what the reference itself
    /// says (the NPI of a conditional reference, an organization's display name), with a finding.
    fn provider(&mut self, reference: &Reference, field: &str, types: &[&str]) -> pb::Provider {
        let expected = types[0];
        let display = reference.display.as_deref().map(str::trim).filter(|d| !d.is_empty());
        let provider = match self.b.resolve(reference, expected) {
            Target::Entry(i) => {
                let entry = &self.b.entries[i];
                match (&entry.resource, types.contains(&entry.resource_type.as_str())) {
                    (Resource::Organization(o), true) => organization(o, &mut self.f, field),
                    (Resource::Practitioner(p), true) => practitioner(p),
                    _ => {
                        self.f.warning(
                            rules::REFERENCE_UNRESOLVED,
                            field,
                            format!("the reference leads to {}, not a readable {}", entry.label(), types.join(" or ")),
                        );
                        from_reference(None, display, expected)
                    }
                }
            }
            Target::Conditional { system, value } => {
                let npi = system.as_deref().filter(|s| NPI_SYSTEMS.contains(s)).map(|_| value.as_str());
                let took = match (npi.is_some(), display.is_some() && expected == "Organization") {
                    (true, _) => "; the NPI was taken from the reference",
                    (false, true) => "; the name was taken from the reference's display",
                    (false, false) => "",
                };
                self.f.warning(
                    rules::REFERENCE_UNRESOLVED,
                    field,
                    format!("{expected} is not in the bundle (reference by identifier){took}"),
                );
                from_reference(npi, display, expected)
            }
            Target::Missing | Target::Contained(_) => {
                let took = if display.is_some() && expected == "Organization" {
                    "; the name was taken from the reference's display"
                } else {
                    ""
                };
                self.f.warning(rules::REFERENCE_UNRESOLVED, field, format!("{expected} is not in the bundle{took}"));
                from_reference(None, display, expected)
            }
            Target::Empty => {
                self.f.warning(
                    rules::REFERENCE_UNRESOLVED,
                    field,
                    "the reference has neither a target nor an identifier",
                );
                from_reference(None, display, expected)
            }
        };
        check_provider_npi(&provider, field, &mut self.f);
        provider
    }

    fn diagnoses(
        &mut self,
        encounter: usize,
        enc: &model::Encounter,
        billable: &[(usize, &model::Claim)],
        pharmacy: &[(usize, &model::Claim)],
    ) -> Diagnoses {
        let mut dx = Diagnoses::default();
        // Claim diagnoses first, principal first, then by sequence.
        for (_, claim) in billable.iter().chain(pharmacy) {
            let mut ordered: Vec<&model::ClaimDiagnosis> = claim.diagnosis.iter().collect();
            ordered.sort_by_key(|d| {
                (!d.type_.iter().any(|t| has_code(Some(t), "principal")), d.sequence.unwrap_or(u32::MAX))
            });
            for d in ordered {
                if let Some(concept) = &d.diagnosis_codeable_concept {
                    dx.add_concept(concept);
                }
                if let Some(r) = &d.diagnosis_reference {
                    self.add_condition_ref(&mut dx, r);
                }
            }
        }
        // Encounter.diagnosis by rank, then the conditions recorded at this encounter.
        let mut ranked: Vec<&model::EncounterDiagnosis> = enc.diagnosis.iter().collect();
        ranked.sort_by_key(|d| d.rank.unwrap_or(u32::MAX));
        for d in ranked {
            if let Some(r) = &d.condition {
                self.add_condition_ref(&mut dx, r);
            }
        }
        for &i in self.links.conditions.get(&encounter).into_iter().flatten() {
            self.add_condition(&mut dx, i);
        }
        dx
    }

    fn add_condition_ref(&mut self, dx: &mut Diagnoses, reference: &Reference) {
        match self.b.resolve(reference, "Condition") {
            Target::Entry(i) if matches!(self.b.entries[i].resource, Resource::Condition(_)) => {
                self.add_condition(dx, i)
            }
            _ => self.f.warning(
                rules::REFERENCE_UNRESOLVED,
                "conditions",
                "a diagnosis references a Condition that is not (readable) in the bundle",
            ),
        }
    }

    fn add_condition(&self, dx: &mut Diagnoses, index: usize) {
        if !dx.conditions_seen.insert(index) {
            return;
        }
        if let Resource::Condition(c) = &self.b.entries[index].resource
            && let Some(code) = &c.code
        {
            dx.add_concept(code);
        }
    }

    fn coverage(
        &mut self,
        encounter: usize,
        patient: Option<usize>,
        billable: &[(usize, &model::Claim)],
        pharmacy: &[(usize, &model::Claim)],
        service_date: &str,
    ) -> Option<pb::Coverage> {
        let claims: Vec<&model::Claim> = billable.iter().chain(pharmacy).map(|(_, c)| *c).collect();
        let eobs: Vec<&model::Claim> = self
            .links
            .eobs
            .get(&encounter)
            .into_iter()
            .flatten()
            .filter_map(|&i| match &self.b.entries[i].resource {
                Resource::ExplanationOfBenefit(e) => Some(e),
                _ => None,
            })
            .collect();

        // 1. A Coverage resource the encounter's claims point at (in the bundle or contained in the claim).
        let mut found =
            claims.iter().find_map(|c| self.insurance_coverage(c)).map(|c| self.coverage_message(&c, patient));
        // 2. A Coverage resource of the bundle for this patient, in force on the service date.
        if found.is_none() {
            found = self
                .b
                .entries
                .iter()
                .filter_map(|e| match &e.resource {
                    Resource::Coverage(c) => Some(c),
                    _ => None,
                })
                .find(|c| self.coverage_applies(c, patient, service_date))
                .map(|c| self.coverage_message(c, patient));
        }
        // 3. The payer name the claims give.
        if found.is_none() {
            found = claims.iter().find_map(|c| insurance_display(c)).map(payer_only);
        }
        // 4. The ExplanationOfBenefit's Coverage (Synthea contains one with the payer's name), or its display.
        if found.is_none() {
            found = eobs
                .iter()
                .find_map(|e| self.insurance_coverage(e))
                .map(|c| self.coverage_message(&c, patient))
                .or_else(|| eobs.iter().find_map(|e| insurance_display(e)).map(payer_only));
        }

        let Some(mut coverage) = found else {
            self.f.error(rules::PAYER_MISSING, "coverage.payer", "no Coverage and no payer name for the encounter");
            return None;
        };
        coverage.payer_name = coverage.payer_name.trim().to_owned();
        if coverage.payer_name.eq_ignore_ascii_case("NO_INSURANCE") {
            self.f.error(rules::PAYER_MISSING, "coverage.payer", "the source says NO_INSURANCE (self-pay)");
            return None;
        }
        if coverage.payer_name.is_empty() {
            self.f.error(rules::PAYER_MISSING, "coverage.payer", "the Coverage names no payer");
        }
        if coverage.member_id.is_empty() {
            self.f.error(rules::MEMBER_ID_MISSING, "coverage.member_id", "the source gives no member id");
        }
        coverage.claim_filing = claim_filing(&coverage.payer_name).to_owned();
        coverage.payer_responsibility = "P".to_owned();
        Some(coverage)
    }

    /// The first Coverage resource a claim's insurance points at, focal first.
    fn insurance_coverage(&self, claim: &model::Claim) -> Option<model::Coverage> {
        for ins in ordered_insurance(claim) {
            let Some(reference) = &ins.coverage else { continue };
            match self.b.resolve(reference, "Coverage") {
                Target::Entry(i) => {
                    if let Resource::Coverage(c) = &self.b.entries[i].resource {
                        return Some(c.clone());
                    }
                }
                Target::Contained(id) => {
                    let found = bundle::contained(&claim.contained).into_iter().find_map(|(head, r)| match r {
                        Resource::Coverage(c) if head.id.as_deref() == Some(id.as_str()) => Some(c),
                        _ => None,
                    });
                    if found.is_some() {
                        return found;
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn coverage_applies(&self, c: &model::Coverage, patient: Option<usize>, service_date: &str) -> bool {
        if matches!(c.status.as_deref(), Some("cancelled" | "entered-in-error")) {
            return false;
        }
        if let Some(beneficiary) = &c.beneficiary
            && !is_empty_reference(beneficiary)
        {
            let resolved = match self.b.resolve(beneficiary, "Patient") {
                Target::Entry(i) => Some(i),
                _ => None,
            };
            if resolved != patient {
                return false;
            }
        }
        if let Some(period) = &c.period
            && !service_date.is_empty()
        {
            if let Some(start) = period.start.as_deref().and_then(date_part)
                && start > service_date
            {
                return false;
            }
            if let Some(end) = period.end.as_deref().and_then(date_part)
                && end < service_date
            {
                return false;
            }
        }
        true
    }

    fn coverage_message(&mut self, c: &model::Coverage, patient: Option<usize>) -> pb::Coverage {
        let payer_name = c
            .payor
            .iter()
            .find_map(|r| {
                let from_resource = match self.b.resolve(r, "Organization") {
                    Target::Entry(i) => match &self.b.entries[i].resource {
                        Resource::Organization(o) => organization_name(o),
                        _ => None,
                    },
                    _ => None,
                };
                from_resource.or_else(|| r.display.clone()).filter(|n| !n.trim().is_empty())
            })
            .unwrap_or_default();
        let member_id = c
            .subscriber_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                c.identifier
                    .iter()
                    .find(|i| has_code(i.type_.as_ref(), "MB"))
                    .and_then(|i| i.value.clone())
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_default();
        let group_number = c
            .class
            .iter()
            .find(|k| has_code(k.type_.as_ref(), "group"))
            .and_then(|k| k.value.clone())
            .unwrap_or_default();
        let subscriber = c.subscriber.as_ref().map(|r| self.b.resolve(r, "Patient"));
        let subscriber_is_patient = matches!(subscriber, Some(Target::Entry(i)) if Some(i) == patient);
        let relationship = match c.relationship.as_ref().and_then(|r| r.coding.iter().find_map(|k| k.code.as_deref())) {
            Some("self") => "18",
            Some("spouse") => "01",
            Some("child") => "19",
            Some(_) => "G8",
            None if subscriber_is_patient => "18",
            None => "",
        };
        let mut coverage = pb::Coverage {
            payer_name,
            member_id,
            group_number,
            relationship: relationship.to_owned(),
            ..Default::default()
        };
        if let Some(Target::Entry(i)) = subscriber
            && !subscriber_is_patient
            && let Resource::Patient(s) | Resource::RelatedPerson(s) = &self.b.entries[i].resource
        {
            coverage.subscriber_name = person_name(&s.name);
            coverage.subscriber_birth_date = s.birth_date.clone().filter(|d| is_date(d)).unwrap_or_default();
            coverage.subscriber_gender = gender(s.gender.as_deref()).to_owned();
            coverage.subscriber_address = s.address.first().map(address);
        }
        coverage
    }

    fn lines(
        &mut self,
        encounter: usize,
        billable: &[(usize, &'a model::Claim)],
        pharmacy: &[(usize, &'a model::Claim)],
        icd: &[String],
        service_date: &str,
    ) -> Vec<pb::ServiceLine> {
        for (i, _) in pharmacy {
            self.f.warning(
                rules::CLAIM_NOT_MAPPED,
                "lines",
                format!(
                    "{} is a pharmacy claim; its items are not service lines of this encounter",
                    self.b.entries[*i].label()
                ),
            );
        }
        let b = self.b;
        let links = self.links;
        let mut lines = Vec::new();
        for &(i, claim) in billable {
            let first = lines.len();
            self.claim_lines(claim, &mut lines);
            self.check_total(&b.entries[i], claim, &lines[first..]);
        }
        if lines.is_empty() {
            for &i in links.charge_items.get(&encounter).into_iter().flatten() {
                if let Resource::ChargeItem(c) = &b.entries[i].resource {
                    let charge = match &c.price_override {
                        Some(m) => self.money(m, &format!("lines[{}].charge_cents", lines.len())),
                        None => Charge::Missing,
                    };
                    let quantity = c.quantity.as_ref().and_then(|q| q.value);
                    lines.push(Draft { code: c.code.as_ref(), modifiers: &[], quantity, charge, pointed: Vec::new() });
                }
            }
        }
        if lines.is_empty() {
            for &i in links.procedures.get(&encounter).into_iter().flatten() {
                if let Resource::Procedure(p) = &b.entries[i].resource {
                    if matches!(p.status.as_deref(), Some("not-done" | "entered-in-error")) {
                        self.f.warning(
                            rules::PROCEDURE_NOT_DONE,
                            "lines",
                            format!(
                                "{} has status {}; not billed",
                                self.b.entries[i].label(),
                                p.status.as_deref().unwrap_or("")
                            ),
                        );
                        continue;
                    }
                    lines.push(Draft {
                        code: p.code.as_ref(),
                        modifiers: &[],
                        quantity: None,
                        charge: Charge::Missing,
                        pointed: Vec::new(),
                    });
                }
            }
        }
        if lines.is_empty() {
            self.f.warning(rules::NO_LINES, "lines", "no Claim item, ChargeItem or Procedure for the encounter");
        }
        lines.into_iter().enumerate().map(|(n, draft)| self.line(n, draft, icd, service_date)).collect()
    }

    /// The items of one claim as lines. Synthea lists each diagnosis again as an item without a charge whose
    /// code is the diagnosis' code; those items are the conditions (kept in `conditions`), not services.
    fn claim_lines(&mut self, claim: &'a model::Claim, lines: &mut Vec<Draft<'a>>) {
        let by_sequence = self.claim_diagnoses(claim);
        for item in &claim.item {
            let pointed_codes: Vec<&SequenceCodes> =
                item.diagnosis_sequence.iter().filter_map(|s| by_sequence.get(s)).collect();
            let restates_diagnosis = item.net.is_none()
                && item.unit_price.is_none()
                && item.procedure_sequence.is_empty()
                && item.information_sequence.is_empty()
                && !pointed_codes.is_empty()
                && item.product_or_service.as_ref().is_some_and(|p| {
                    !p.coding.is_empty()
                        && p.coding.iter().all(|k| {
                            let key = (k.system.clone().unwrap_or_default(), k.code.clone().unwrap_or_default());
                            pointed_codes.iter().any(|codes| codes.keys.contains(&key))
                        })
                });
            if restates_diagnosis {
                continue;
            }
            let field = format!("lines[{}].charge_cents", lines.len());
            let charge = match (&item.net, &item.unit_price) {
                (Some(net), _) => self.money(net, &field),
                (None, Some(price)) => match self.money(price, &field) {
                    Charge::Cents(_) => self.extended_price(price, item.quantity.as_ref(), item.factor, &field),
                    other => other,
                },
                (None, None) => Charge::Missing,
            };
            let pointed = pointed_codes.iter().flat_map(|codes| codes.icd.iter().cloned()).collect();
            lines.push(Draft {
                code: item.product_or_service.as_ref(),
                modifiers: &item.modifier,
                quantity: item.quantity.as_ref().and_then(|q| q.value),
                charge,
                pointed,
            });
        }
    }

    /// For each Claim.diagnosis sequence: the codes of the diagnosis (system, code) and its ICD-10-CM codes.
    fn claim_diagnoses(&self, claim: &model::Claim) -> HashMap<u32, SequenceCodes> {
        let mut map = HashMap::new();
        for d in &claim.diagnosis {
            let Some(seq) = d.sequence else { continue };
            let mut concepts: Vec<&CodeableConcept> = d.diagnosis_codeable_concept.iter().collect();
            if let Some(r) = &d.diagnosis_reference
                && let Target::Entry(i) = self.b.resolve(r, "Condition")
                && let Resource::Condition(c) = &self.b.entries[i].resource
                && let Some(code) = &c.code
            {
                concepts.push(code);
            }
            let codings = concepts.iter().flat_map(|c| &c.coding);
            let keys = codings
                .clone()
                .map(|k| (k.system.clone().unwrap_or_default(), k.code.clone().unwrap_or_default()))
                .collect();
            let icd = codings.filter_map(icd10cm).collect();
            map.insert(seq, SequenceCodes { keys, icd });
        }
        map
    }

    /// unitPrice × quantity × factor, rounded once at the end.
    fn extended_price(
        &mut self,
        price: &Money,
        quantity: Option<&model::Quantity>,
        factor: Option<Dec>,
        field: &str,
    ) -> Charge {
        let Some(Dec::Value(unit)) = price.value else { return Charge::Invalid };
        let quantity = match quantity.and_then(|q| q.value) {
            None => Decimal::ONE,
            Some(Dec::Value(q)) => q,
            Some(Dec::Invalid) => {
                self.f.error(
                    rules::MONEY_INVALID,
                    field,
                    "Claim.item.quantity is not a number; the charge was not computed",
                );
                return Charge::Invalid;
            }
        };
        let factor = match factor {
            None => Decimal::ONE,
            Some(Dec::Value(f)) => f,
            Some(Dec::Invalid) => {
                self.f.error(
                    rules::MONEY_INVALID,
                    field,
                    "Claim.item.factor is not a number; the charge was not computed",
                );
                return Charge::Invalid;
            }
        };
        match unit.checked_mul(quantity).and_then(|v| v.checked_mul(factor)).and_then(decimal_to_cents) {
            Some(cents) => Charge::Cents(cents),
            None => {
                self.f.error(rules::MONEY_INVALID, field, "unitPrice × quantity × factor is out of range");
                Charge::Invalid
            }
        }
    }

    fn money(&mut self, m: &Money, field: &str) -> Charge {
        if let Some(currency) = m.currency.as_deref()
            && currency != "USD"
        {
            let shown = if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
                currency
            } else {
                "(not an ISO 4217 code)"
            };
            self.f.warning(rules::CURRENCY_NOT_USD, field, format!("amount in currency {shown}, kept as is"));
        }
        match m.value {
            None => Charge::Missing,
            Some(Dec::Value(d)) => match decimal_to_cents(d) {
                Some(c) => Charge::Cents(c),
                None => {
                    self.f.error(rules::MONEY_INVALID, field, "the amount does not fit in cents");
                    Charge::Invalid
                }
            },
            Some(Dec::Invalid) => {
                self.f.error(rules::MONEY_INVALID, field, "the amount is not a number a decimal can hold");
                Charge::Invalid
            }
        }
    }

    fn check_total(&mut self, entry: &Entry, claim: &model::Claim, lines: &[Draft<'_>]) {
        let Some(total) = &claim.total else { return };
        let total = match total.value {
            Some(Dec::Value(d)) => decimal_to_cents(d),
            Some(Dec::Invalid) => None,
            None => return,
        };
        let Some(total) = total else {
            self.f.error(rules::MONEY_INVALID, "lines", format!("{} total is not a usable amount", entry.label()));
            return;
        };
        let sum: i64 = lines
            .iter()
            .filter_map(|l| if let Charge::Cents(c) = l.charge { Some(c) } else { None })
            .fold(0, i64::saturating_add);
        if sum != total {
            let unpriced = lines.iter().filter(|l| !matches!(l.charge, Charge::Cents(_))).count();
            let note = if unpriced > 0 { format!(" ({unpriced} of its lines have no charge)") } else { String::new() };
            self.f.warning(
                rules::CLAIM_TOTAL_MISMATCH,
                "lines",
                format!(
                    "{} total {} differs from the sum of its line charges {}{note}",
                    entry.label(),
                    format_cents(total),
                    format_cents(sum)
                ),
            );
        }
    }

    fn line(&mut self, n: usize, draft: Draft<'_>, icd: &[String], service_date: &str) -> pb::ServiceLine {
        let (procedure_code, source) = match draft.code {
            Some(concept) => match concept.coding.iter().find_map(cpt_or_hcpcs) {
                Some(code) => (code, None),
                None => (String::new(), source_codes(concept).into_iter().next()),
            },
            None => (String::new(), None),
        };
        let charge_cents = match draft.charge {
            Charge::Cents(c) => c,
            Charge::Missing => {
                self.f.warning(
                    rules::CHARGE_MISSING,
                    &format!("lines[{n}].charge_cents"),
                    "the source gives no charge for this line; left at 0 for pricing",
                );
                0
            }
            Charge::Invalid => 0,
        };
        let units = match draft.quantity {
            None => "1".to_owned(),
            Some(Dec::Value(q)) if q > Decimal::ZERO => q.normalize().to_string(),
            Some(_) => {
                self.f.warning(
                    rules::QUANTITY_INVALID,
                    &format!("lines[{n}].units"),
                    "the quantity is not a positive number; units set to 1",
                );
                "1".to_owned()
            }
        };
        let mut pointers: Vec<u32> = Vec::new();
        for code in &draft.pointed {
            if let Some(p) = icd.iter().position(|c| c == code)
                && let Ok(p) = u32::try_from(p + 1)
                && !pointers.contains(&p)
                && pointers.len() < 4
            {
                pointers.push(p);
            }
        }
        if pointers.is_empty() {
            pointers = (1..=icd.len().min(4) as u32).collect();
        }
        pb::ServiceLine {
            line_id: (n + 1).to_string(),
            procedure_code,
            modifiers: draft
                .modifiers
                .iter()
                .flat_map(|m| &m.coding)
                .filter_map(|k| k.code.as_deref().map(str::trim))
                .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(str::to_ascii_uppercase)
                .take(4)
                .collect(),
            units,
            charge_cents,
            diagnosis_pointers: pointers,
            service_date: service_date.to_owned(),
            source,
            unit: "UN".to_owned(),
            ..Default::default()
        }
    }
}

/// A claim's insurance, focal first, then by sequence.
fn ordered_insurance(claim: &model::Claim) -> Vec<&model::Insurance> {
    let mut insurance: Vec<&model::Insurance> = claim.insurance.iter().collect();
    insurance.sort_by_key(|i| (i.focal != Some(true), i.sequence.unwrap_or(u32::MAX)));
    insurance
}

fn insurance_display(claim: &model::Claim) -> Option<String> {
    ordered_insurance(claim)
        .into_iter()
        .find_map(|i| i.coverage.as_ref()?.display.clone().filter(|d| !d.trim().is_empty()))
}

fn payer_only(payer_name: String) -> pb::Coverage {
    pb::Coverage { payer_name, ..Default::default() }
}

/// X12 claim filing indicator by payer name: Medicare → MB, Medicaid → MC, anything else commercial (CI).
fn claim_filing(payer_name: &str) -> &'static str {
    let name = payer_name.to_ascii_lowercase();
    if name.contains("medicare") {
        "MB"
    } else if name.contains("medicaid") {
        "MC"
    } else {
        "CI"
    }
}

fn is_empty_reference(r: &Reference) -> bool {
    r.reference.as_deref().is_none_or(|t| t.trim().is_empty())
        && r.identifier.as_ref().and_then(|i| i.value.as_deref()).is_none()
        && r.display.as_deref().is_none_or(|d| d.trim().is_empty())
}

fn has_code(concept: Option<&CodeableConcept>, code: &str) -> bool {
    concept.is_some_and(|c| c.coding.iter().any(|k| k.code.as_deref() == Some(code)))
}

fn icd10cm(coding: &Coding) -> Option<String> {
    let system = coding.system.as_deref()?;
    if !ICD10CM_SYSTEMS.contains(&system) {
        return None;
    }
    let code: String = coding.code.as_deref()?.chars().filter(|c| *c != '.' && !c.is_whitespace()).collect();
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_ascii_uppercase())
}

fn cpt_or_hcpcs(coding: &Coding) -> Option<String> {
    let system = coding.system.as_deref()?;
    if !CPT_SYSTEMS.contains(&system) && !HCPCS_SYSTEMS.contains(&system) {
        return None;
    }
    let code = coding.code.as_deref()?.trim();
    (code.len() == 5 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| code.to_ascii_uppercase())
}

/// Every coding of a concept as a source code (display from the coding, else the concept's text); a concept
/// with text only becomes one code with an empty system and code.
fn source_codes(concept: &CodeableConcept) -> Vec<pb::SourceCode> {
    let text = concept.text.as_deref().unwrap_or("");
    let mut codes: Vec<pb::SourceCode> = concept
        .coding
        .iter()
        .filter(|k| k.code.is_some() || k.display.is_some())
        .map(|k| pb::SourceCode {
            system: k.system.clone().unwrap_or_default(),
            code: k.code.clone().unwrap_or_default(),
            display: k.display.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| text.to_owned()),
        })
        .collect();
    if codes.is_empty() && !text.trim().is_empty() {
        codes.push(pb::SourceCode { display: text.to_owned(), ..Default::default() });
    }
    codes
}

fn concept_text(concept: &CodeableConcept) -> Option<&str> {
    concept
        .text
        .as_deref()
        .or_else(|| concept.coding.iter().find_map(|k| k.display.as_deref()))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// "Encounter type: …. Reason: …; …." from Encounter.type and reasonCode, at most [`NOTE_MAX_CHARS`].
fn clinical_note(enc: &model::Encounter) -> String {
    let mut note = String::new();
    if let Some(t) = enc.type_.iter().find_map(concept_text) {
        note.push_str("Encounter type: ");
        note.push_str(t);
        note.push('.');
    }
    let reasons: Vec<&str> = enc.reason_code.iter().filter_map(concept_text).collect();
    if !reasons.is_empty() {
        if !note.is_empty() {
            note.push(' ');
        }
        note.push_str("Reason: ");
        note.push_str(&reasons.join("; "));
        note.push('.');
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        note = note.chars().take(NOTE_MAX_CHARS - 1).collect();
        note.push('…');
    }
    note
}

/// The date of a FHIR date or dateTime when it is a full date (`YYYY-MM-DD`, optionally followed by a time).
fn date_part(value: &str) -> Option<&str> {
    let date = value.get(..10)?;
    let rest = &value[10..];
    (is_date(date) && (rest.is_empty() || rest.starts_with('T'))).then_some(date)
}

fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let number = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn gender(g: Option<&str>) -> &'static str {
    match g {
        Some("male") => "M",
        Some("female") => "F",
        _ => "U",
    }
}

/// The official name (else usual, else the first) as last, first, middle (second given) and suffix.
fn person_name(names: &[model::HumanName]) -> Option<pb::PersonName> {
    let name = names
        .iter()
        .find(|n| n.use_.as_deref() == Some("official"))
        .or_else(|| names.iter().find(|n| n.use_.as_deref() == Some("usual")))
        .or_else(|| names.first())?;
    Some(pb::PersonName {
        last: name.family.clone().unwrap_or_default(),
        first: name.given.first().cloned().unwrap_or_default(),
        middle: name.given.get(1).cloned().unwrap_or_default(),
        suffix: name.suffix.first().cloned().unwrap_or_default(),
    })
}

fn address(a: &model::Address) -> pb::Address {
    pb::Address {
        line1: a.line.first().cloned().unwrap_or_default(),
        line2: a.line.get(1).cloned().unwrap_or_default(),
        city: a.city.clone().unwrap_or_default(),
        state: a.state.clone().unwrap_or_default(),
        postal_code: a.postal_code.clone().unwrap_or_default(),
        country: a.country.clone().unwrap_or_default(),
    }
}

fn npi_of(identifiers: &[model::Identifier]) -> String {
    identifiers
        .iter()
        .find(|i| i.system.as_deref().is_some_and(|s| NPI_SYSTEMS.contains(&s)))
        .and_then(|i| i.value.as_deref())
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn organization_name(o: &model::Party) -> Option<String> {
    o.name.as_ref().and_then(|raw| serde_json::from_str::<String>(raw.get()).ok()).filter(|n| !n.trim().is_empty())
}

fn organization(o: &model::Party, f: &mut Findings, field: &str) -> pb::Provider {
    let tax_id = o
        .identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(EIN_SYSTEM) || has_code(i.type_.as_ref(), "TAX"))
        .and_then(|i| i.value.as_deref())
        .map(|v| v.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect::<String>());
    let tax_id = match tax_id {
        Some(t) if t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) => t,
        Some(_) => {
            f.warning(
                rules::TAX_ID_FORMAT,
                &format!("{field}.tax_id"),
                "the tax identifier is not nine digits; not kept",
            );
            String::new()
        }
        None => String::new(),
    };
    pb::Provider {
        npi: npi_of(&o.identifier),
        organization_name: organization_name(o).unwrap_or_default(),
        tax_id,
        address: o.address.first().map(address),
        ..Default::default()
    }
}

fn practitioner(p: &model::Party) -> pb::Provider {
    let names: Vec<model::HumanName> =
        p.name.as_ref().and_then(|raw| serde_json::from_str(raw.get()).ok()).unwrap_or_default();
    pb::Provider {
        npi: npi_of(&p.identifier),
        person: person_name(&names),
        address: p.address.first().map(address),
        ..Default::default()
    }
}

/// A provider known only from the reference: an NPI from a conditional reference, an organization's display.
/// A person's display ("Dr. …") is not parsed into a name.
fn from_reference(npi: Option<&str>, display: Option<&str>, expected: &str) -> pb::Provider {
    let organization_name = if expected == "Organization" { display.unwrap_or("") } else { "" };
    pb::Provider {
        npi: npi.unwrap_or("").trim().to_owned(),
        organization_name: organization_name.to_owned(),
        ..Default::default()
    }
}

fn check_provider_npi(p: &pb::Provider, field: &str, f: &mut Findings) {
    let npi_field = format!("{field}.npi");
    if p.npi.is_empty() {
        f.error(rules::NPI_MISSING, &npi_field, "no NPI (identifier system http://hl7.org/fhir/sid/us-npi)");
        return;
    }
    match check_npi(&p.npi) {
        Ok(()) => {}
        Err(NpiProblem::Format) => f.error(rules::NPI_FORMAT, &npi_field, "the NPI is not ten digits"),
        Err(NpiProblem::CheckDigit) => {
            f.error(rules::NPI_CHECK_DIGIT, &npi_field, "the NPI's check digit is wrong (Luhn with prefix 80840)")
        }
    }
}
