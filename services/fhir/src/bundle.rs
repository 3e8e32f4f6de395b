//! Reading a Bundle's entries into typed resources, and resolving references between them.

use std::collections::HashMap;

use rcm_proto::common::Finding;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{FhirError, printable_id, printable_type};
use crate::findings::{Findings, rules};
use crate::model::{self, Head, Identifier, Reference};

/// A resource intake reads, typed; everything else is `Other`.
#[derive(Debug)]
pub(crate) enum Resource {
    Patient(model::Person),
    RelatedPerson(model::Person),
    Practitioner(model::Party),
    Organization(model::Party),
    Encounter(model::Encounter),
    Condition(model::Condition),
    Procedure(model::Procedure),
    ChargeItem(model::ChargeItem),
    Claim(model::Claim),
    ExplanationOfBenefit(model::Claim),
    Coverage(model::Coverage),
    /// A resource of a type intake reads whose JSON does not have the shape R4 describes.
    Unreadable,
    Other,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub full_url: Option<String>,
    pub resource_type: String,
    pub id: Option<String>,
    pub resource: Resource,
    /// Identifiers, for conditional references (`Practitioner?identifier=system|value`).
    identifiers: Vec<(Option<String>, String)>,
}

impl Entry {
    /// `Type/id` for messages (ids only, never content).
    pub fn label(&self) -> String {
        format!("{}/{}", printable_type(&self.resource_type), printable_id(self.id.as_deref()))
    }
}

/// Where a reference leads.
#[derive(Debug)]
pub(crate) enum Target {
    /// An entry of the bundle.
    Entry(usize),
    /// `#id`: a contained resource of the referring resource.
    Contained(String),
    /// A conditional reference (or a logical one by identifier) that matches nothing in the bundle.
    Conditional { system: Option<String>, value: String },
    /// A literal reference to something not in the bundle.
    Missing,
    /// No reference and no identifier: at most a display.
    Empty,
}

#[derive(Debug)]
pub(crate) struct Bundle {
    pub entries: Vec<Entry>,
    by_url: HashMap<String, usize>,
    by_type_id: HashMap<(String, String), usize>,
}

/// Parses one resource from its raw JSON into the typed resource for its type. `None` when the JSON is not an
/// object with a string resourceType; [`Resource::Unreadable`] when a type intake reads has an unexpected shape.
pub(crate) fn parse_resource(raw: &RawValue) -> Option<(Head, Resource)> {
    let head: Head = serde_json::from_str(raw.get()).ok()?;
    let resource_type = head.resource_type.as_deref()?;
    fn typed<T: DeserializeOwned>(raw: &RawValue) -> Option<T> {
        // The error is dropped on purpose: serde's messages can quote content (PHI). The caller reports the
        // resource by type and id.
        serde_json::from_str(raw.get()).ok()
    }
    let resource = match resource_type {
        "Patient" => typed(raw).map(Resource::Patient),
        "RelatedPerson" => typed(raw).map(Resource::RelatedPerson),
        "Practitioner" => typed(raw).map(Resource::Practitioner),
        "Organization" => typed(raw).map(Resource::Organization),
        "Encounter" => typed(raw).map(Resource::Encounter),
        "Condition" => typed(raw).map(Resource::Condition),
        "Procedure" => typed(raw).map(Resource::Procedure),
        "ChargeItem" => typed(raw).map(Resource::ChargeItem),
        "Claim" => typed(raw).map(Resource::Claim),
        "ExplanationOfBenefit" => typed(raw).map(Resource::ExplanationOfBenefit),
        "Coverage" => typed(raw).map(Resource::Coverage),
        _ => Some(Resource::Other),
    };
    Some((head, resource.unwrap_or(Resource::Unreadable)))
}

impl Bundle {
    /// Reads the document: checks it is a Bundle, then reads each entry on its own so that one malformed
    /// resource becomes a finding rather than losing the bundle.
    pub fn read(json: &[u8], findings: &mut Vec<Finding>) -> Result<Bundle, FhirError> {
        // Not an object (a derived struct would also accept a list): say so only if it is well-formed JSON.
        if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            serde_json::from_slice::<serde::de::IgnoredAny>(json).map_err(|e| FhirError::invalid_json(&e))?;
            return Err(FhirError::NotABundle { resource_type: "(none: the JSON value is not an object)".to_owned() });
        }
        // Reading the top object checks the syntax of the whole input (unread members are still parsed).
        let top: model::Top = serde_json::from_slice(json).map_err(|e| FhirError::invalid_json(&e))?;
        match &top.resource_type {
            Some(serde_json::Value::String(t)) if t == "Bundle" => {}
            Some(serde_json::Value::String(t)) => {
                return Err(FhirError::NotABundle { resource_type: printable_type(t) });
            }
            Some(_) => return Err(FhirError::NotABundle { resource_type: "(not a string)".to_owned() }),
            None => return Err(FhirError::NotABundle { resource_type: "(none)".to_owned() }),
        }
        // Read again with entry typed as a list, so that positions in errors are positions in the input.
        let raw_entries = serde_json::from_slice::<model::BundleEntries>(json)
            .map_err(|e| FhirError::MalformedBundle { line: e.line(), column: e.column() })?
            .entry
            .unwrap_or_default();

        let mut out = Findings::new();
        let mut entries = Vec::with_capacity(raw_entries.len());
        for (i, raw) in raw_entries.iter().enumerate() {
            let field = format!("entry[{i}]");
            let entry: model::BundleEntry = match serde_json::from_str(raw.get()) {
                Ok(entry) => entry,
                Err(_) => {
                    out.error(
                        rules::RESOURCE_UNREADABLE,
                        &field,
                        "the entry is not a JSON object with fullUrl and resource",
                    );
                    continue;
                }
            };
            let Some(raw_resource) = entry.resource else {
                out.warning(
                    rules::ENTRY_SKIPPED,
                    &field,
                    "the entry has no resource (a request only); nothing to read",
                );
                continue;
            };
            let (head, resource) = match parse_resource(&raw_resource) {
                Some(parsed) => parsed,
                None => {
                    out.error(
                        rules::RESOURCE_UNREADABLE,
                        &field,
                        "the resource is not a JSON object with a string resourceType and id",
                    );
                    continue;
                }
            };
            let resource_type = head.resource_type.unwrap_or_default();
            let identifiers = match &resource {
                Resource::Patient(p) | Resource::RelatedPerson(p) => identifier_pairs(&p.identifier),
                Resource::Practitioner(p) | Resource::Organization(p) => identifier_pairs(&p.identifier),
                Resource::Coverage(c) => identifier_pairs(&c.identifier),
                _ => Vec::new(),
            };
            let entry = Entry { full_url: entry.full_url, resource_type, id: head.id, resource, identifiers };
            if matches!(entry.resource, Resource::Unreadable) && entry.resource_type != "Encounter" {
                // Unreadable Encounters become encounters with a finding of their own (see map).
                out.error(
                    rules::RESOURCE_UNREADABLE,
                    &field,
                    format!("{} does not have the FHIR R4 shape intake reads; it was not used", entry.label()),
                );
            }
            entries.push(entry);
        }
        findings.extend(out.into_vec());

        let mut by_url = HashMap::new();
        let mut by_type_id = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(url) = &e.full_url {
                by_url.entry(url.clone()).or_insert(i);
            }
            if let Some(id) = &e.id {
                by_type_id.entry((e.resource_type.clone(), id.clone())).or_insert(i);
            }
        }
        Ok(Bundle { entries, by_url, by_type_id })
    }

    /// Resolves a reference expected to point at a resource of type `expected` (used for conditional and
    /// `urn:uuid` references, which do not carry the type themselves).
    pub fn resolve(&self, reference: &Reference, expected: &str) -> Target {
        let Some(text) = reference.reference.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            // A logical reference by identifier.
            return match &reference.identifier {
                Some(Identifier { system, value: Some(value), .. }) => {
                    self.find_by_identifier(expected, system.as_deref(), value)
                }
                _ => Target::Empty,
            };
        };
        if let Some(local) = text.strip_prefix('#') {
            return Target::Contained(local.to_owned());
        }
        if let Some(&i) = self.by_url.get(text) {
            return Target::Entry(i);
        }
        if let Some((type_name, query)) = text.split_once('?') {
            let type_name = type_name.rsplit('/').next().unwrap_or(type_name);
            let type_name = if type_name.is_empty() { expected } else { type_name };
            for param in query.split('&') {
                if let Some(value) = param.strip_prefix("identifier=") {
                    let value = percent_decode(value);
                    let (system, value) = match value.split_once('|') {
                        Some((s, v)) => (Some(s).filter(|s| !s.is_empty()), v),
                        None => (None, value.as_str()),
                    };
                    return self.find_by_identifier(type_name, system, value);
                }
            }
            return Target::Missing;
        }
        if let Some(uuid) = text.strip_prefix("urn:uuid:") {
            // Some exporters write urn:uuid references but give entries a server fullUrl: match the id.
            return match self.by_type_id.get(&(expected.to_owned(), uuid.to_owned())) {
                Some(&i) => Target::Entry(i),
                None => Target::Missing,
            };
        }
        // Type/id, a full URL ending in Type/id, either possibly with /_history/n.
        let path = match text.find("/_history/") {
            Some(at) => &text[..at],
            None => text,
        };
        let mut segments = path.rsplit('/');
        if let (Some(id), Some(type_name)) = (segments.next(), segments.next())
            && let Some(&i) = self.by_type_id.get(&(type_name.to_owned(), id.to_owned()))
        {
            return Target::Entry(i);
        }
        Target::Missing
    }

    fn find_by_identifier(&self, type_name: &str, system: Option<&str>, value: &str) -> Target {
        let found = self.entries.iter().position(|e| {
            e.resource_type == type_name
                && e.identifiers.iter().any(|(s, v)| v == value && (system.is_none() || s.as_deref() == system))
        });
        match found {
            Some(i) => Target::Entry(i),
            None => Target::Conditional { system: system.map(str::to_owned), value: value.to_owned() },
        }
    }
}

fn identifier_pairs(identifiers: &[Identifier]) -> Vec<(Option<String>, String)> {
    identifiers.iter().filter_map(|i| Some((i.system.clone(), i.value.clone()?))).collect()
}

/// Decodes `%XX` escapes (and leaves anything malformed as it is).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses the contained resources of a resource (for `#id` references).
pub(crate) fn contained(raws: &[Box<RawValue>]) -> Vec<(Head, Resource)> {
    raws.iter().filter_map(|raw| parse_resource(raw)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("http://hl7.org/fhir/sid/us-npi%7C1234567893"),
            "http://hl7.org/fhir/sid/us-npi|1234567893"
        );
        assert_eq!(percent_decode("a%zz%"), "a%zz%");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
    }
}
