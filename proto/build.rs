//! Compiles the .proto files with protox (pure Rust; no system protoc) and generates prost
//! messages and tonic services. The descriptor set is kept for gRPC reflection.

use prost::Message;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "rcm/common/v1/claim.proto",
    "rcm/common/v1/status.proto",
    "rcm/events/v1/events.proto",
    "rcm/intake/v1/intake.proto",
    "rcm/coding/v1/coding.proto",
    "rcm/scrubbing/v1/scrubbing.proto",
    "rcm/submission/v1/submission.proto",
    "rcm/remittance/v1/remittance.proto",
    "rcm/denials/v1/denials.proto",
    "rcm/admin/v1/admin.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=rcm");
    let fds = protox::compile(PROTOS, ["."])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("rcm_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
