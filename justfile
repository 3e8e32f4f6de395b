# Tasks for the revenue-cycle platform. `just --list` shows them.

export X12VALIDATE := justfile_directory() / "tools/x12validate"

# List the recipes.
default:
    @just --list

# Start local NATS (JetStream) and PostgreSQL when they are not running.
up:
    deploy/local/up.sh

# Run every test (unit, X12 conformance through pyx12, the pipeline against NATS and Postgres).
test: up
    cargo test --workspace --all-targets
    cargo test --workspace --doc

# Run the whole pipeline on synthetic encounters for two tenants and print the summary.
demo *ARGS: up
    cargo run -q -p rcm -- demo {{ARGS}}

# The X12 benchmarks (835 parse MB/s against x12-types, 837P claims/s).
bench:
    cargo bench -p rcm-x12 --bench x12

# Fuzz one X12 reader for SECONDS (needs cargo-fuzz and a nightly toolchain): just fuzz x835 600
fuzz TARGET SECONDS="600":
    mkdir -p fuzz/corpus/{{TARGET}}
    cargo +nightly fuzz run {{TARGET}} fuzz/corpus/{{TARGET}} fuzz/seeds/{{TARGET}} -- -max_total_time={{SECONDS}}

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Build the one container image (deploy/Dockerfile) from the workspace: just image [TAG]
image TAG="rcm:dev":
    docker build -f deploy/Dockerfile -t {{TAG}} .
