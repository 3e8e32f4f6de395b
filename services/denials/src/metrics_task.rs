//! The reports as Prometheus gauges, computed again every interval for each tenant served, over
//! all time (the same numbers as `GetReports` with no range and no payer):
//!
//! | gauge | labels | what |
//! |---|---|---|
//! | `rcm_denials_report_denial_rate` | tenant | denied / adjudicated claims |
//! | `rcm_denials_report_denial_rate_by_payer` | tenant, payer | the same, per payer |
//! | `rcm_denials_report_denied_claims_by_category` | tenant, category | denied claims per category |
//! | `rcm_denials_report_first_pass_resolution` | tenant | work items resolved by their first action / resolved |
//! | `rcm_denials_report_clean_claim_rate` | tenant | claims never rejected by scrubbing / scrubbed |
//! | `rcm_denials_report_days_in_ar` | tenant | mean days from service to first payment |
//! | `rcm_denials_report_open_ar_cents` | tenant, bucket | what payers still owe, by age |
//! | `rcm_denials_report_net_collection_rate` | tenant | payments / (charges − contractual) |
//! | `rcm_denials_queue_items` | tenant, status | work items by status |

use crate::reports::{self, BUCKETS, Range};
use rcm_runtime::ServiceHost;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sets the gauges of one tenant from its reports.
pub fn publish(tenant: &str, r: &reports::Reports) {
    let t = tenant.to_string();
    metrics::gauge!("rcm_denials_report_denial_rate", "tenant" => t.clone()).set(r.denial_rate.rate());
    for row in &r.by_payer {
        metrics::gauge!("rcm_denials_report_denial_rate_by_payer", "tenant" => t.clone(), "payer" => row.key.clone())
            .set(row.rate());
    }
    for row in &r.by_category {
        metrics::gauge!(
            "rcm_denials_report_denied_claims_by_category",
            "tenant" => t.clone(),
            "category" => row.key.clone()
        )
        .set(row.denied_claims as f64);
    }
    metrics::gauge!("rcm_denials_report_first_pass_resolution", "tenant" => t.clone())
        .set(r.first_pass_resolution.rate());
    metrics::gauge!("rcm_denials_report_clean_claim_rate", "tenant" => t.clone()).set(r.clean_claim_rate.rate());
    metrics::gauge!("rcm_denials_report_days_in_ar", "tenant" => t.clone()).set(r.days_in_ar);
    for (name, b) in BUCKETS.iter().zip(r.open_ar_aging.iter()) {
        metrics::gauge!("rcm_denials_report_open_ar_cents", "tenant" => t.clone(), "bucket" => *name)
            .set(b.cents as f64);
    }
    metrics::gauge!("rcm_denials_report_net_collection_rate", "tenant" => t.clone()).set(r.net_collection_rate.rate());
    for q in &r.queue_by_status {
        metrics::gauge!("rcm_denials_queue_items", "tenant" => t.clone(), "status" => q.key.clone())
            .set(q.items as f64);
    }
}

/// Computes and publishes every served tenant's reports each `every` until `shutdown`.
pub async fn run(host: ServiceHost, every: Duration, shutdown: CancellationToken) -> rcm_runtime::Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        let tenants = match host.platform.tenants().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "report metrics: tenants not available");
                continue;
            }
        };
        for tenant in tenants {
            match crate::store::report_input(&host.pool, &tenant, None).await {
                Ok(input) => {
                    let today = host.platform.det.clock.now().date_naive();
                    publish(&tenant, &reports::build(&input, Range::default(), today));
                }
                Err(e) => tracing::warn!(%tenant, error = %e, "report metrics: the projection is not available"),
            }
        }
    }
}
