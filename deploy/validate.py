#!/usr/bin/env python3
"""Checks rendered Kubernetes manifests and the compose file (run by deploy/check.sh in its venv).

  validate.py k8s RENDERED.yaml --schemas DIR --versions 1.30.0,1.37.0 [--json OUT.json]
      Every object against the Kubernetes OpenAPI schemas of each version (kubernetes-validate,
      strict: unknown fields fail), or against deploy/schemas/ for custom resources; an object
      of a kind with no schema fails. Then rcm's own rules (security, probes, disruption budgets,
      network policies, references). --json writes the objects for the Rust test.
  validate.py compose deploy/compose.yaml
      What the compose-spec schema cannot see: references between services, volumes, files.
  validate.py selftest RENDERED.yaml --schemas DIR --versions V
      Breaks a rendered overlay in known ways and makes sure each one is caught.

Exit 0 when clean, 1 with every problem listed.
"""

import argparse
import json
import os
import re
import sys

import jsonschema
import kubernetes_validate
import yaml

# Secrets the manifests refer to but must not contain: CloudNativePG writes <cluster>-app for the
# Cluster's owner role; the operator of the deployment creates the backup credentials.
EXTERNAL_SECRETS = {"rcm-pg-backup-credentials"}
SERVICES = ["intake", "coding", "scrubbing", "submission", "remittance", "denials"]
GRPC_PORT = 50051
METRICS_PORT = 9464


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append(f"{where}: {what}")


def name_of(o):
    return f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"


def load_schemas(d):
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                schema = json.load(fh)
            key = (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
            out[key] = jsonschema.Draft7Validator(schema)
    return out


def check_schemas(objs, schemas, versions, p, report):
    for o in objs:
        key = (o.get("apiVersion"), o.get("kind"))
        if key in schemas:
            errors = sorted(schemas[key].iter_errors(o), key=lambda e: list(e.path))
            for e in errors:
                p.add(name_of(o), f"{'.'.join(map(str, e.path)) or '(top)'}: {e.message}")
            report["custom"][f"{key[0]} {key[1]}"] = report["custom"].get(f"{key[0]} {key[1]}", 0) + 1
            continue
        for v in versions:
            try:
                kubernetes_validate.validate(o, v, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                p.add(name_of(o), f"no schema for {key[0]} {key[1]} (Kubernetes {v}, nor deploy/schemas)")
                break
            except kubernetes_validate.ValidationError as e:
                p.add(name_of(o), f"Kubernetes {v}: {'.'.join(map(str, e.path)) or '(top)'}: {e.message}")
        else:
            report["kubernetes"] += 1


def pod_spec(o):
    kind = o.get("kind")
    if kind in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        return o["spec"]["template"]["spec"], o["spec"]["template"]["metadata"].get("labels", {})
    return None, None


def selects(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions) against a label set."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        have = labels.get(e["key"])
        op = e["operator"]
        if op == "In" and have not in e["values"]:
            return False
        if op == "NotIn" and have in e["values"]:
            return False
        if op == "Exists" and have is None:
            return False
        if op == "DoesNotExist" and have is not None:
            return False
    return True


def check_rules(objs, p):
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    names = {(o["kind"], o["metadata"]["name"]) for o in objs}
    clusters = {o["metadata"]["name"] for o in by_kind.get("Cluster", [])}
    netpols = by_kind.get("NetworkPolicy", [])
    pdbs = by_kind.get("PodDisruptionBudget", [])
    services = by_kind.get("Service", [])

    if by_kind.get("Secret"):
        for s in by_kind["Secret"]:
            p.add(name_of(s), "a Secret in the manifests: credentials come from Secrets created in the cluster")

    for o in objs:
        spec, labels = pod_spec(o)
        if spec is None:
            continue
        w = name_of(o)
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            p.add(w, "pod securityContext.runAsNonRoot is not true")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            p.add(w, "pod seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            p.add(w, "automountServiceAccountToken is not false (no pod here calls the API)")
        for c in spec.get("initContainers", []) + spec["containers"]:
            cw = f"{w} container {c['name']}"
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False:
                p.add(cw, "allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                p.add(cw, "readOnlyRootFilesystem is not true")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                p.add(cw, "capabilities do not drop ALL")
            if sc.get("privileged"):
                p.add(cw, "privileged")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        p.add(cw, f"no {part}.{r}")
            if ":" not in c["image"].split("/")[-1] and "@" not in c["image"]:
                p.add(cw, f"image {c['image']} has no tag or digest")
            if c["image"].endswith(":latest"):
                p.add(cw, f"image {c['image']} is :latest")
            for e in c.get("env", []):
                if re.search(r"PASSWORD|SECRET|TOKEN", e["name"]) and "value" in e:
                    p.add(cw, f"{e['name']} has a literal value: take it from a Secret")
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    n = ref["name"]
                    implied = any(n == f"{cl}-app" for cl in clusters)
                    if ("Secret", n) not in names and not implied and n not in EXTERNAL_SECRETS:
                        p.add(cw, f"Secret {n} is neither created by an operator here nor a known external one")
            for ef in c.get("envFrom", []):
                cm = (ef.get("configMapRef") or {}).get("name")
                if cm and ("ConfigMap", cm) not in names:
                    p.add(cw, f"ConfigMap {cm} is not in the manifests")
        for v in spec.get("volumes", []):
            if "persistentVolumeClaim" in v and ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) not in names:
                p.add(w, f"PersistentVolumeClaim {v['persistentVolumeClaim']['claimName']} is not in the manifests")
            if "configMap" in v and ("ConfigMap", v["configMap"]["name"]) not in names:
                p.add(w, f"ConfigMap {v['configMap']['name']} is not in the manifests")
        sa = spec.get("serviceAccountName")
        if sa and ("ServiceAccount", sa) not in names:
            p.add(w, f"ServiceAccount {sa} is not in the manifests")

        # Every pod is covered by a NetworkPolicy restricting both directions (Postgres pods,
        # made by the operator, are checked through their own policy).
        directions = set()
        for np in netpols:
            if selects(np["spec"]["podSelector"], labels):
                directions.update(np["spec"].get("policyTypes", []))
        if not {"Ingress", "Egress"} <= directions:
            p.add(w, f"no NetworkPolicy restricts {sorted({'Ingress', 'Egress'} - directions)} for its pods")

        if o["kind"] in ("Deployment", "StatefulSet"):
            if not any(selects(pdb["spec"]["selector"], labels) for pdb in pdbs) and labels.get("app.kubernetes.io/component") != "simulator":
                p.add(w, "no PodDisruptionBudget selects its pods")

        comp = labels.get("app.kubernetes.io/component")
        if o["kind"] == "Deployment" and labels.get("app.kubernetes.io/name") == "rcm" and comp in SERVICES:
            c = spec["containers"][0]
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if (c.get(probe) or {}).get("grpc", {}).get("port") != GRPC_PORT:
                    p.add(w, f"{probe} is not a grpc probe on {GRPC_PORT}")
            ports = {pt["containerPort"] for pt in c.get("ports", [])}
            if not {GRPC_PORT, METRICS_PORT} <= ports:
                p.add(w, f"container ports {sorted(ports)} lack {GRPC_PORT} (gRPC) or {METRICS_PORT} (metrics)")
            if not any(s["spec"].get("selector") and selects({"matchLabels": s["spec"]["selector"]}, labels)
                       and any(pt.get("port") == GRPC_PORT for pt in s["spec"]["ports"]) for s in services):
                p.add(w, f"no Service exposes its gRPC port {GRPC_PORT}")

    # Services select something, on ports their pods have.
    pods = [(o, *pod_spec(o)) for o in objs if pod_spec(o)[0] is not None]
    for s in services:
        sel = s["spec"].get("selector")
        matched = [o for o, spec, labels in pods if sel and selects({"matchLabels": sel}, labels)]
        if not matched:
            p.add(name_of(s), "selects no pod")
        for o in matched:
            spec, _ = pod_spec(o)
            named = {pt.get("name") for c in spec["containers"] for pt in c.get("ports", [])}
            numbered = {pt["containerPort"] for c in spec["containers"] for pt in c.get("ports", [])}
            for pt in s["spec"]["ports"]:
                tp = pt.get("targetPort", pt["port"])
                if tp not in named and tp not in numbered:
                    p.add(name_of(s), f"targetPort {tp} is not a port of {name_of(o)}")
    for pdb in pdbs:
        if not any(selects(pdb["spec"]["selector"], labels) for _, _, labels in pods):
            p.add(name_of(pdb), "selects no pod")

    # KEDA: the target exists, and the NATS monitoring endpoint is the headless Service of this
    # namespace.
    for so in by_kind.get("ScaledObject", []):
        target = so["spec"]["scaleTargetRef"]["name"]
        if ("Deployment", target) not in names:
            p.add(name_of(so), f"scaleTargetRef {target} is not a Deployment here")
        ns = so["metadata"].get("namespace")
        for t in so["spec"]["triggers"]:
            if t["type"] == "nats-jetstream":
                want = f"nats-headless.{ns}.svc.cluster.local:8222"
                if t["metadata"].get("natsServerMonitoringEndpoint") != want:
                    p.add(name_of(so), f"natsServerMonitoringEndpoint is not {want}")
        if ("Service", "nats-headless") not in names:
            p.add(name_of(so), "no nats-headless Service")

    # One namespace for everything namespaced.
    namespaces = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
    if len(namespaces) != 1 or None in namespaces:
        p.add("(all)", f"objects are in namespaces {sorted(map(str, namespaces))}, expected one")


def cmd_k8s(args):
    with open(args.rendered) as f:
        objs = [o for o in yaml.safe_load_all(f) if o]
    versions = [v for v in args.versions.split(",") if v]
    p = Problems()
    report = {"kubernetes": 0, "custom": {}}
    check_schemas(objs, load_schemas(args.schemas), versions, p, report)
    check_rules(objs, p)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(objs, f)
    label = os.path.basename(args.rendered)
    custom = ", ".join(f"{n} {k}" for k, n in sorted(report["custom"].items()))
    if p.items:
        print(f"{label}: {len(p.items)} problem(s)")
        for i in p.items:
            print(f"  {i}")
        return 1
    print(f"{label}: {len(objs)} objects; {report['kubernetes']} valid against Kubernetes "
          f"{' and '.join(versions)} (strict); custom resources against deploy/schemas: {custom or 'none'}; rules ok")
    return 0


def cmd_compose(args):
    with open(args.file) as f:
        doc = yaml.safe_load(f)
    base = os.path.dirname(os.path.abspath(args.file))
    p = Problems()
    services = doc.get("services", {})
    volumes = set((doc.get("volumes") or {}).keys())
    for name, s in services.items():
        w = f"service {name}"
        deps = s.get("depends_on") or {}
        for d in deps if isinstance(deps, list) else deps.keys():
            if d not in services:
                p.add(w, f"depends on unknown service {d}")
            elif set(services[d].get("profiles") or []) - set(s.get("profiles") or []):
                p.add(w, f"depends on {d}, which only runs under profiles {services[d]['profiles']}")
        for v in s.get("volumes") or []:
            src = v.split(":")[0] if isinstance(v, str) else v.get("source")
            if src.startswith(".") or src.startswith("/"):
                if not os.path.exists(os.path.join(base, src)):
                    p.add(w, f"bind mount {src} does not exist")
            elif src not in volumes:
                p.add(w, f"volume {src} is not declared")
        if "image" not in s and "build" not in s:
            p.add(w, "neither image nor build")
        img = s.get("image", "")
        if not img.startswith("${") and (":" not in img.split("/")[-1] or img.endswith(":latest")):
            p.add(w, f"image {img} is not pinned to a version")
    if p.items:
        print(f"compose: {len(p.items)} problem(s)")
        for i in p.items:
            print(f"  {i}")
        return 1
    print(f"compose: {len(services)} services; references, volumes and bind mounts ok")
    return 0


MUTATIONS = [
    # (what, how to break the objects)
    ("a writable root filesystem", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
     ["securityContext"].__setitem__("readOnlyRootFilesystem", False)),
    ("a misspelt field", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
     .__setitem__("livenesProbe", {})),
    ("an HTTP liveness probe on a service", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]
     ["containers"][0].__setitem__("livenessProbe", {"httpGet": {"path": "/", "port": 9464}})),
    ("no memory limit", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
     ["resources"]["limits"].pop("memory")),
    ("a password in the manifest", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
     ["env"].append({"name": "PGPASSWORD", "value": "hunter2"})),
    ("a Secret object", lambda objs: objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": objs[1]["metadata"]["namespace"]}, "stringData": {"a": "b"}})),
    ("a PDB that selects nothing", lambda objs: first(objs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
     .__setitem__("app.kubernetes.io/component", "nothing")),
    ("a NetworkPolicy gone", lambda objs: objs.remove(first(objs, "NetworkPolicy", "rcm-default-deny")) or
     [objs.remove(o) for o in [o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "rcm-intake"]]),
    ("an unquoted KEDA lagThreshold", lambda objs: first(objs, "ScaledObject")["spec"]["triggers"][0]["metadata"]
     .__setitem__("lagThreshold", 500)),
    ("a KEDA endpoint in another namespace", lambda objs: first(objs, "ScaledObject")["spec"]["triggers"][0]["metadata"]
     .__setitem__("natsServerMonitoringEndpoint", "nats-headless.other.svc.cluster.local:8222")),
    ("a misspelt CloudNativePG field", lambda objs: first(objs, "Cluster")["spec"].__setitem__("instance", 3)),
    ("a ConfigMap reference that does not resolve", lambda objs: first(objs, "Deployment")["spec"]["template"]["spec"]
     ["containers"][0]["envFrom"][0]["configMapRef"].__setitem__("name", "rcm-config")),
]


def first(objs, kind, name=None):
    return next(o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def cmd_selftest(args):
    import copy
    with open(args.rendered) as f:
        pristine = [o for o in yaml.safe_load_all(f) if o]
    schemas = load_schemas(args.schemas)
    versions = [v for v in args.versions.split(",") if v]
    missed = []
    for what, mutate in MUTATIONS:
        objs = copy.deepcopy(pristine)
        mutate(objs)
        p = Problems()
        # The untouched objects passed already; schema checks are the slow part.
        changed = [o for o in objs if o not in pristine]
        check_schemas(changed, schemas, versions, p, {"kubernetes": 0, "custom": {}})
        check_rules(objs, p)
        if not p.items:
            missed.append(what)
    if missed:
        print(f"selftest: not caught: {', '.join(missed)}")
        return 1
    print(f"selftest: all {len(MUTATIONS)} planted mistakes caught")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("k8s")
    k.add_argument("rendered")
    k.add_argument("--schemas", required=True)
    k.add_argument("--versions", required=True)
    k.add_argument("--json")
    c = sub.add_parser("compose")
    c.add_argument("file")
    t = sub.add_parser("selftest")
    t.add_argument("rendered")
    t.add_argument("--schemas", required=True)
    t.add_argument("--versions", required=True)
    args = ap.parse_args()
    sys.exit({"k8s": cmd_k8s, "compose": cmd_compose, "selftest": cmd_selftest}[args.cmd](args))


if __name__ == "__main__":
    main()
