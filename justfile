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

# The benchmarks: X12 (835 parse MB/s against x12-types, 837P claims/s); code-set lookups
# (ICD-10-CM search and get latency percentiles, load time, heap size); scrubbing (claims/s per
# core with every pack loaded, table load times, memory).
bench:
    cargo bench -p rcm-x12 --bench x12
    cargo bench -p rcm-codesets --bench lookup
    cargo bench -p rcm-scrubbing --bench scrub

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

# Run the platform in containers (deploy/compose.yaml); `just compose-up observability` adds traces and metrics.
compose-up *PROFILES: image
    #!/usr/bin/env bash
    set -euo pipefail
    # The Postgres password of this machine's stack, made once, kept out of git (deploy/.env).
    if ! grep -qs '^RCM_PG_PASSWORD=' deploy/.env; then
      (umask 077; echo "RCM_PG_PASSWORD=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >> deploy/.env)
    fi
    args=()
    for p in {{PROFILES}}; do
      args+=(--profile "$p")
      # The services export spans only when this is set (compose passes it through).
      if [ "$p" = observability ]; then export OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4317; fi
    done
    docker compose -f deploy/compose.yaml "${args[@]}" up -d
    docker compose -f deploy/compose.yaml "${args[@]}" ps

# Stop the compose stack; `just compose-down -v` also deletes its volumes (streams, databases, files).
compose-down *ARGS:
    docker compose -f deploy/compose.yaml --profile observability --profile tools down {{ARGS}}

# Render, validate and lint everything in deploy/ (also run by `just test`).
deploy-check:
    deploy/check.sh

# Give a tenant its own pipeline in a Kubernetes overlay: just tenant-overlay acme [production|dev]
tenant-overlay NAME OVERLAY="production":
    deploy/tenant-overlay.sh {{NAME}} {{OVERLAY}}
