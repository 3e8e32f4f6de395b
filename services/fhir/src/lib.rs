//! Intake from FHIR R4 bundles as EHR exports produce them.

pub mod money;
pub mod npi;
