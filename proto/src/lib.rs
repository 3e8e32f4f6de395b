//! Generated protobuf types and gRPC services of the platform.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

macro_rules! package {
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}

pub mod rcm {
    pub mod common {
        pub mod v1 {
            package!("rcm.common.v1.rs");
        }
    }
    pub mod events {
        pub mod v1 {
            package!("rcm.events.v1.rs");
        }
    }
    pub mod intake {
        pub mod v1 {
            package!("rcm.intake.v1.rs");
        }
    }
    pub mod coding {
        pub mod v1 {
            package!("rcm.coding.v1.rs");
        }
    }
    pub mod scrubbing {
        pub mod v1 {
            package!("rcm.scrubbing.v1.rs");
        }
    }
    pub mod submission {
        pub mod v1 {
            package!("rcm.submission.v1.rs");
        }
    }
    pub mod remittance {
        pub mod v1 {
            package!("rcm.remittance.v1.rs");
        }
    }
    pub mod denials {
        pub mod v1 {
            package!("rcm.denials.v1.rs");
        }
    }
    pub mod admin {
        pub mod v1 {
            package!("rcm.admin.v1.rs");
        }
    }
}

pub use rcm::admin::v1 as admin;
pub use rcm::coding::v1 as coding;
pub use rcm::common::v1 as common;
pub use rcm::denials::v1 as denials;
pub use rcm::events::v1 as events;
pub use rcm::intake::v1 as intake;
pub use rcm::remittance::v1 as remittance;
pub use rcm::scrubbing::v1 as scrubbing;
pub use rcm::submission::v1 as submission;

/// The encoded descriptor set of every .proto here, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/rcm_descriptor.bin"));
