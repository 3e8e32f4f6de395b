//! The deployment files against the binary. `deploy/check.sh` renders every Kubernetes overlay
//! (and one written from the tenant template), validates the objects against the Kubernetes and
//! custom-resource schemas, lints the Dockerfile and checks the compose file; then this test
//! checks that what the manifests ask of `rcm` is what the binary does: targets, flags,
//! configuration keys and values, ports, the data directory, database, stream and consumer names.
//!
//! When check.sh cannot install a tool it needs (no Python venv, no PyPI, no kustomize), the test
//! says so loudly and passes; any other failure fails it.

use rcm::services;
use rcm_runtime::config::Config;
use rcm_runtime::subjects::Subjects;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tenant the template is tried with by check.sh (a '-' exercises the stream-name rule).
const TEMPLATE_TENANT: &str = "zeta-2";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Runs deploy/check.sh; `None` when it could not install its tools (exit 77).
fn run_check() -> Option<tempfile::TempDir> {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new("bash")
        .arg(repo().join("deploy/check.sh"))
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("bash runs deploy/check.sh");
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    match o.status.code() {
        Some(0) => {
            eprintln!("{log}");
            Some(out)
        }
        Some(77) => {
            let bar = "!".repeat(100);
            eprintln!("\n{bar}\n!! SKIPPED: the deployment checks could not install a tool they need.\n{log}{bar}\n");
            None
        }
        _ => panic!("deploy/check.sh failed:\n{log}"),
    }
}

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn name(o: &Value) -> String {
    format!("{}/{}", o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap())
}

/// Every setting the binary reads, as `RCM_` variable paths: the runtime's and each section's.
fn known_settings() -> BTreeMap<String, Value> {
    let mut all = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        all.insert(k.to_string(), v);
    };
    if let Value::Object(m) = serde_json::to_value(Config::default()).unwrap() {
        for (k, v) in m {
            put(&k, v);
        }
    }
    put("intake", serde_json::to_value(rcm_intake::IntakeConfig::default()).unwrap());
    put("coding", serde_json::to_value(rcm_coding::CodingConfig::default()).unwrap());
    put("scrubbing", serde_json::to_value(rcm_scrubbing::ScrubbingConfig::default()).unwrap());
    put("submission", serde_json::to_value(rcm_submission::SubmissionConfig::default()).unwrap());
    put("remittance", serde_json::to_value(rcm_remittance::RemittanceConfig::default()).unwrap());
    put("denials", serde_json::to_value(rcm_denials::DenialsConfig::default()).unwrap());
    put("simulator", serde_json::to_value(rcm_simulator::SimulatorConfig::default()).unwrap());
    let mut out = BTreeMap::new();
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        out.insert(prefix.to_string(), v.clone());
        if let Value::Object(m) = v {
            for (k, v) in m {
                walk(&format!("{prefix}__{}", k.to_ascii_uppercase()), v, out);
            }
        }
    }
    for (k, v) in all {
        walk(&format!("RCM_{}", k.to_ascii_uppercase()), &v, &mut out);
    }
    out
}

/// Variables that are not settings but are read by the binary or its libraries.
fn other_variable(name: &str) -> bool {
    matches!(
        name,
        // The command line's config file flag, and the log format (telemetry).
        "RCM_CONFIG" | "RCM_LOG_FORMAT"
        // tracing-subscriber's filter; the OpenTelemetry exporter.
        | "RUST_LOG" | "OTEL_EXPORTER_OTLP_ENDPOINT"
        // sqlx reads the libpq variables when database_url leaves them out.
        | "PGUSER" | "PGPASSWORD" | "PGAPPNAME"
    )
}

fn check_variable(place: &str, var: &str, settings: &BTreeMap<String, Value>, problems: &mut Vec<String>) {
    if other_variable(var) {
        return;
    }
    match settings.get(var) {
        Some(Value::Object(_)) => problems.push(format!("{place}: {var} names a section, not a setting")),
        Some(_) => {}
        None => problems.push(format!("{place}: {var} is not a setting of rcm (see `rcm config`)")),
    }
}

/// The effective configuration `rcm` builds from these flags and variables (the real binary).
fn effective_config(flags: &[String], env: &BTreeMap<String, String>) -> Result<Value, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcm"));
    cmd.args(flags).arg("config").env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())
}

/// The container's environment: its ConfigMaps, then its own variables (Secrets as placeholders).
fn container_env(c: &Value, objs: &[Value]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for ef in c["envFrom"].as_array().into_iter().flatten() {
        let cm = ef["configMapRef"]["name"].as_str().unwrap();
        let o = objs.iter().find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == cm).unwrap();
        for (k, v) in o["data"].as_object().unwrap() {
            env.insert(k.clone(), v.as_str().unwrap().to_string());
        }
    }
    for e in c["env"].as_array().into_iter().flatten() {
        let v = e["value"].as_str().unwrap_or("from-a-secret");
        env.insert(e["name"].as_str().unwrap().to_string(), v.to_string());
    }
    env
}

/// A setting's value in `rcm config` output, by its variable name.
fn config_value<'a>(config: &'a Value, var: &str) -> Option<&'a Value> {
    var.strip_prefix("RCM_")?.split("__").try_fold(config, |v, k| v.get(k.to_ascii_lowercase()))
}

fn same_value(set: &str, got: &Value) -> bool {
    match got {
        Value::String(s) => s == set,
        Value::Number(n) => n.to_string() == set,
        Value::Bool(b) => b.to_string() == set,
        _ => false,
    }
}

/// The image's defaults (its RCM_CONFIG file) with nothing else.
fn image_config() -> Config {
    Config::load(Some(&repo().join("deploy/image/rcm.toml")), &serde_json::json!({})).unwrap()
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// What one rendered overlay asks of the binary.
fn check_overlay(label: &str, objs: &[Value], problems: &mut Vec<String>) {
    let settings = known_settings();
    let image = image_config();
    let (grpc, metrics) = (port_of(&image.grpc_addr), port_of(&image.metrics_addr));
    let mut deployments = 0;
    for o in objs.iter().filter(|o| matches!(o["kind"].as_str(), Some("Deployment" | "Job"))) {
        let spec = &o["spec"]["template"]["spec"];
        let labels = &o["spec"]["template"]["metadata"]["labels"];
        if labels["app.kubernetes.io/name"] != "rcm" {
            continue;
        }
        let place = format!("{label} {}", name(o));
        let c = &spec["containers"][0];
        let args: Vec<String> = c["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
        // `serve|migrate --target X [global flags]`: X is a target of the binary, the one the
        // component label names.
        let (command, target, flags) = match args.as_slice() {
            [cmd, t, target, rest @ ..] if t == "--target" => (cmd.as_str(), target.as_str(), rest.to_vec()),
            _ => {
                problems.push(format!("{place}: args {args:?} are not `<command> --target <target> ...`"));
                continue;
            }
        };
        let component = labels["app.kubernetes.io/component"].as_str().unwrap_or("");
        match (command, services::parse_targets(target)) {
            (_, Err(e)) => problems.push(format!("{place}: --target {target}: {e}")),
            ("serve", Ok((targets, simulator))) => {
                deployments += 1;
                let named = if simulator { "simulator".to_string() } else { targets.join(",") };
                if named != component {
                    problems.push(format!("{place}: serves {named} but is labelled {component}"));
                }
            }
            ("migrate", Ok(_)) => {}
            (other, _) => problems.push(format!("{place}: unexpected command {other}")),
        }
        // Variables are settings (or known non-settings), and the binary takes them and the
        // flags: `rcm <flags> config` shows each value where it belongs.
        let env = container_env(c, objs);
        for var in env.keys() {
            check_variable(&place, var, &settings, problems);
        }
        match effective_config(&flags, &env) {
            Err(e) => problems.push(format!("{place}: rcm rejects its flags {flags:?} or environment: {e}")),
            Ok(config) => {
                for (var, set) in env.iter().filter(|(k, _)| k.starts_with("RCM_") && !other_variable(k)) {
                    match config_value(&config, var) {
                        Some(got) if same_value(set, got) => {}
                        got => problems.push(format!("{place}: {var}={set} but rcm config shows {got:?}")),
                    }
                }
                for flag in &flags {
                    let (key, value) = flag.trim_start_matches("--").split_once('=').unwrap_or((flag, ""));
                    let got = &config[key.replace('-', "_")];
                    if !got.as_array().is_some_and(|a| a.iter().any(|v| v == value)) {
                        problems.push(format!("{place}: {flag} does not show in rcm config ({got})"));
                    }
                }
                if command == "serve" && component != "simulator" {
                    check_service_ports(&place, c, grpc, metrics, problems);
                }
                check_connections(&place, &config, objs, problems);
            }
        }
        // Where the files are: the exchange volume is the data directory.
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            if m["name"] == "exchange" && m["mountPath"].as_str() != image.data_dir.to_str() {
                problems.push(format!(
                    "{place}: exchange mounted at {} but data_dir is {}",
                    m["mountPath"],
                    image.data_dir.display()
                ));
            }
        }
        if ["submission", "remittance", "simulator"].contains(&component)
            && !c["volumeMounts"].as_array().into_iter().flatten().any(|m| m["name"] == "exchange")
        {
            problems.push(format!("{place}: {component} reads or writes files but has no exchange volume"));
        }
    }
    assert!(deployments >= 6, "{label}: only {deployments} rcm Deployments");

    // One database per service, named as the binary names them, and the tenant registry's.
    let dbs: BTreeSet<String> = objs
        .iter()
        .filter(|o| o["kind"] == "Database")
        .map(|o| o["spec"]["name"].as_str().unwrap().to_string())
        .collect();
    let prefix = image.database_prefix.as_str();
    let want: BTreeSet<String> = services::SERVICES.iter().map(|s| rcm_runtime::db::database_name(prefix, s)).collect();
    if dbs != want {
        problems.push(format!("{label}: Databases {dbs:?}, the services use {want:?}"));
    }
    for cluster in objs.iter().filter(|o| o["kind"] == "Cluster") {
        let initdb = str_at(cluster, &["spec", "bootstrap", "initdb", "database"]);
        if initdb != Some(rcm_runtime::db::database_name(prefix, "admin").as_str()) {
            problems.push(format!("{label}: {} creates {initdb:?}, not the tenant registry's database", name(cluster)));
        }
    }
}

fn check_service_ports(place: &str, c: &Value, grpc: u16, metrics: u16, problems: &mut Vec<String>) {
    let ports: BTreeMap<&str, u64> = c["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["name"].as_str().unwrap_or(""), p["containerPort"].as_u64().unwrap()))
        .collect();
    if ports.get("grpc") != Some(&u64::from(grpc)) || ports.get("metrics") != Some(&u64::from(metrics)) {
        problems.push(format!("{place}: ports {ports:?}, the image listens on grpc {grpc} and metrics {metrics}"));
    }
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        if c[probe]["grpc"]["port"].as_u64() != Some(u64::from(grpc)) {
            problems.push(format!("{place}: {probe} does not ask gRPC health on {grpc}"));
        }
    }
}

/// NATS and Postgres addresses point at Services that exist, on their ports.
fn check_connections(place: &str, config: &Value, objs: &[Value], problems: &mut Vec<String>) {
    for (setting, scheme) in [("nats_url", "nats://"), ("database_url", "postgres://")] {
        let url = config[setting].as_str().unwrap_or("");
        let Some(hostport) = url.strip_prefix(scheme) else {
            problems.push(format!("{place}: {setting} {url} is not {scheme}..."));
            continue;
        };
        let hostport = hostport.rsplit('@').next().unwrap().trim_end_matches('/');
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, ""));
        if host.contains('.') {
            continue; // outside this namespace: nothing to compare with
        }
        let port: u64 = port.parse().unwrap_or(0);
        let service = objs.iter().find(|o| o["kind"] == "Service" && o["metadata"]["name"] == host);
        // CloudNativePG makes <cluster>-rw for the primary.
        let cnpg = host
            .strip_suffix("-rw")
            .is_some_and(|c| objs.iter().any(|o| o["kind"] == "Cluster" && o["metadata"]["name"] == c));
        match service {
            Some(s) if s["spec"]["ports"].as_array().unwrap().iter().any(|p| p["port"] == port) => {}
            None if cnpg && port == 5432 => {}
            _ => problems.push(format!("{place}: {setting} {url}: no Service {host} on port {port}")),
        }
    }
}

fn check_compose(compose: &Value, problems: &mut Vec<String>) {
    let settings = known_settings();
    let image = image_config();
    let grpc = port_of(&image.grpc_addr);
    for (svc, s) in compose["services"].as_object().unwrap() {
        let place = format!("compose {svc}");
        let command: Vec<&str> = s["command"].as_array().into_iter().flatten().map(|a| a.as_str().unwrap()).collect();
        let is_rcm = s["image"].as_str().is_some_and(|i| i.contains("RCM_IMAGE"));
        if !is_rcm {
            continue;
        }
        for var in s["environment"].as_object().into_iter().flatten().map(|(k, _)| k) {
            check_variable(&place, var, &settings, problems);
        }
        if let ["serve", "--target", target] = command.as_slice() {
            match services::parse_targets(target) {
                Ok((t, sim)) if (sim && *svc == "simulator") || t == [svc.as_str()] => {}
                other => problems.push(format!("{place}: --target {target} gives {other:?}")),
            }
        }
        for p in s["ports"].as_array().into_iter().flatten() {
            let container: u16 = p.as_str().unwrap().rsplit(':').next().unwrap().parse().unwrap();
            if container != grpc {
                problems.push(format!("{place}: publishes container port {container}; gRPC is on {grpc}"));
            }
        }
        for v in s["volumes"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap();
            if v.starts_with("exchange:") && v != format!("exchange:{}", image.data_dir.display()) {
                problems.push(format!("{place}: {v}, but data_dir is {}", image.data_dir.display()));
            }
        }
    }
}

/// The consumers the binary creates for a tenant, by service (from a real run of all six
/// services against the local NATS and Postgres).
async fn consumers_made_by_the_binary(tenant: &str) -> BTreeMap<String, BTreeSet<String>> {
    use futures::TryStreamExt;
    let config = rcm::sandbox::Sandbox::config(&[tenant]);
    let sandbox = rcm::sandbox::Sandbox::start(config, &services::SERVICES, false).await.expect("services start");
    let deadline = Instant::now() + Duration::from_secs(60);
    let by_service = loop {
        let stream = sandbox.platform.bus.stream(tenant).await.unwrap();
        let names: Vec<String> = stream.consumer_names().try_collect().await.unwrap();
        let mut by_service: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for n in names {
            let service = n.split("__").next().unwrap().to_string();
            by_service.entry(service).or_default().insert(n);
        }
        if by_service.len() == services::SERVICES.len() || Instant::now() > deadline {
            // Consumers are made per tenant when the workers start: give stragglers a moment.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let stream = sandbox.platform.bus.stream(tenant).await.unwrap();
            let names: Vec<String> = stream.consumer_names().try_collect().await.unwrap();
            let mut again: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for n in names {
                again.entry(n.split("__").next().unwrap().to_string()).or_default().insert(n);
            }
            break again;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    sandbox.cleanup().await.unwrap();
    by_service
}

/// KEDA scales each of a tenant's Deployments on exactly the consumers its service has, in the
/// tenant's stream as the binary names it.
fn check_scaled_objects(
    label: &str,
    objs: &[Value],
    made: &BTreeMap<String, BTreeSet<String>>,
    problems: &mut Vec<String>,
) {
    let image = image_config();
    let subjects = Subjects::new(Some(image.subject_prefix.as_str())).unwrap();
    let mut seen = 0;
    for so in objs.iter().filter(|o| o["kind"] == "ScaledObject") {
        seen += 1;
        let place = format!("{label} {}", name(so));
        let target = so["spec"]["scaleTargetRef"]["name"].as_str().unwrap();
        let Some(d) = objs.iter().find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == target) else {
            problems.push(format!("{place}: no Deployment {target}"));
            continue;
        };
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        let args: Vec<&str> = c["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        let Some(tenant) = args.iter().find_map(|a| a.strip_prefix("--tenants=")) else {
            problems.push(format!("{place}: {target} is not started for one tenant (--tenants=...)"));
            continue;
        };
        let service = d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap();
        let mut consumers = BTreeSet::new();
        for t in so["spec"]["triggers"].as_array().unwrap() {
            let stream = str_at(t, &["metadata", "stream"]).unwrap_or("");
            if stream != subjects.stream(tenant) {
                problems.push(format!("{place}: stream {stream}, the binary uses {}", subjects.stream(tenant)));
            }
            consumers.insert(str_at(t, &["metadata", "consumer"]).unwrap_or("").to_string());
        }
        let want = made.get(service).cloned().unwrap_or_default();
        if consumers != want {
            problems.push(format!("{place}: scales on consumers {consumers:?}; {service} consumes with {want:?}"));
        }
    }
    assert!(seen > 0, "{label}: no ScaledObject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_files_are_valid_and_agree_with_the_binary() {
    let Some(out) = run_check() else { return };
    let mut problems = Vec::new();
    let made = consumers_made_by_the_binary(TEMPLATE_TENANT).await;
    assert_eq!(made.len(), services::SERVICES.len(), "every service makes consumers: {made:?}");
    let mut overlays = 0;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") && path.file_stem().is_some_and(|s| s != "compose") {
            let label = path.file_stem().unwrap().to_string_lossy().into_owned();
            let objs = load(&path);
            check_overlay(&label, &objs, &mut problems);
            check_scaled_objects(&label, &objs, &made, &mut problems);
            overlays += 1;
        }
    }
    assert!(overlays >= 3, "dev, production and the template: found {overlays}");
    let compose: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("compose.json")).unwrap()).unwrap();
    check_compose(&compose, &mut problems);
    assert!(problems.is_empty(), "the deployment files and the binary disagree:\n  {}", problems.join("\n  "));
}
