#!/usr/bin/env bash
# Writes a tenant's own pipeline into a Kubernetes overlay from deploy/k8s/tenant-template and
# adds it to the overlay's components.
# Usage: deploy/tenant-overlay.sh [--force] TENANT [OVERLAY]
#   TENANT   the tenant id as registered (`rcm tenants add`): lower-case letters, digits, '-'
#   OVERLAY  dev or production (default production): deploy/k8s/overlays/OVERLAY
#   --force  replace the tenant's files if they exist
# RCM_K8S_DIR names another copy of deploy/k8s to write into (the checks use one).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s="${RCM_K8S_DIR:-$here/k8s}"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "tenant-overlay: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
tenant="${1:?usage: tenant-overlay.sh [--force] TENANT [OVERLAY]}"
overlay="${2:-production}"

# The binary's rule for tenant ids (services/runtime/src/subjects.rs, check_tenant), and a
# Kubernetes one: names end in -<tenant>, which may not end with '-'.
if ! [[ "$tenant" =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || [[ "$tenant" == *- ]]; then
  echo "tenant-overlay: $tenant is not a tenant id (lower-case letters, digits and '-', at most 32, not starting or ending with '-')" >&2
  exit 2
fi
overlay_dir="$k8s/overlays/$overlay"
if [ ! -f "$overlay_dir/kustomization.yaml" ]; then
  echo "tenant-overlay: no overlay at $overlay_dir" >&2
  exit 2
fi
namespace=$(sed -n 's/^namespace: *//p' "$overlay_dir/kustomization.yaml")
if [ -z "$namespace" ]; then
  echo "tenant-overlay: $overlay_dir/kustomization.yaml sets no namespace" >&2
  exit 2
fi
# The stream name as Subjects::stream builds it with no subject prefix (the overlays set none).
stream="RCM_$(tr 'a-z-' 'A-Z_' <<<"$tenant")"

dest="$overlay_dir/tenants/$tenant"
if [ -e "$dest" ] && [ $force = 0 ]; then
  echo "tenant-overlay: $dest exists (--force to replace it)" >&2
  exit 1
fi
# base/rcm/pipeline as seen from $dest/pipeline, whatever the depth of the overlay.
base_rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' \
  "$k8s/base/rcm/pipeline" "$dest/pipeline")

rm -rf "$dest"
mkdir -p "$dest/pipeline"
for f in kustomization.yaml scaledobjects.yaml pipeline/kustomization.yaml; do
  sed -e "s|@TENANT@|$tenant|g" -e "s|@STREAM@|$stream|g" -e "s|@NAMESPACE@|$namespace|g" \
    -e "s|@BASE@|$base_rel|g" "$k8s/tenant-template/$f" >"$dest/$f"
done

# Take it into the overlay: one line under `components:`.
kust="$overlay_dir/kustomization.yaml"
if ! grep -qx -- "- tenants/$tenant" "$kust"; then
  if grep -q '^components:' "$kust"; then
    awk -v line="- tenants/$tenant" '{ print } /^components:/ { print line }' "$kust" >"$kust.tmp"
  else
    { cat "$kust"; printf 'components:\n- tenants/%s\n' "$tenant"; } >"$kust.tmp"
  fi
  mv "$kust.tmp" "$kust"
fi
echo "tenant-overlay: $dest (stream $stream, namespace $namespace), listed in $kust" >&2
