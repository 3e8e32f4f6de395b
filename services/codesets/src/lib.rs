//! Identifiers and code sets shared by the services.

pub mod npi;
