//! `rcm.denials.v1.DenialsService`: the work queue and a claim's denial status.

use crate::config::DenialsConfig;
use crate::decide::{self, Category, CorrectionKind, LatestItem, QueueAction, Refused, Status};
use crate::error::Error;
use crate::reports::{self, BUCKETS, Range};
use crate::store::{self, CorrectionRecord, NewAction, NewAppeal, QueueFilter};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::denials as pb;
use rcm_proto::denials::denials_service_server::DenialsService;
use rcm_proto::denials::{
    ListWorkQueueRequest, RequestCorrectionRequest, RequestCorrectionResponse, WorkItem, WorkQueue,
};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{AppealFiled, ClaimClosed, CorrectionRequested};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use sqlx::PgPool;
use tonic::{Request, Response};

/// The longest note a correction request takes.
pub const MAX_NOTE_CHARS: usize = 2_000;

#[derive(Clone)]
pub struct Denials {
    pool: PgPool,
    host: ServiceHost,
    config: DenialsConfig,
}

impl Denials {
    pub fn new(host: ServiceHost, config: DenialsConfig) -> Self {
        Denials { pool: host.pool.clone(), host, config }
    }

    /// Fails with [`Error::UnknownTenant`] unless this process serves `tenant`.
    async fn known_tenant(&self, tenant: &str) -> Result<(), Error> {
        check_tenant(tenant)?;
        if self.host.platform.tenants().await?.iter().any(|t| t == tenant) {
            Ok(())
        } else {
            Err(Error::UnknownTenant(tenant.to_string()))
        }
    }

    /// Asks for a correction or void of a claim whose latest denial is open in the queue: marks
    /// the work item and puts `denials.correction_requested` in the outbox in one transaction, so
    /// the request goes out exactly once.
    pub async fn request_correction(&self, r: &RequestCorrectionRequest) -> Result<RequestCorrectionResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let (tenant, claim_id) = (r.tenant_id.as_str(), r.claim_id.trim());
        if claim_id.is_empty() {
            return Err(Error::InvalidArgument("claim_id is empty".into()));
        }
        let actor = r.actor.trim();
        if actor.is_empty() {
            return Err(Error::InvalidArgument("actor is required".into()));
        }
        if r.note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::InvalidArgument(format!("note is longer than {MAX_NOTE_CHARS} characters")));
        }
        let kind = if r.void { CorrectionKind::Void } else { CorrectionKind::Replacement };
        let mut tx = self.pool.begin().await?;
        let (latest, last_version) = store::lock_claim_items(&mut tx, tenant, claim_id).await?;
        let facts = latest.as_ref().map(|l| LatestItem {
            status: l.item.status.as_str(),
            payer_claim_control_number: l.item.payer_claim_control_number.as_str(),
        });
        let refused = |r: decide::CorrectionRefused| Error::FailedPrecondition {
            claim_id: claim_id.to_string(),
            reason: r.to_string(),
        };
        let plan = decide::plan_correction(facts.as_ref(), last_version.max(1) as u32, kind).map_err(refused)?;
        // A plan is only made for a claim with a work item.
        let Some(latest) = latest else { return Err(refused(decide::CorrectionRefused::NotInQueue)) };
        let w = &latest.item;
        let origin = Origin {
            tenant: tenant.to_string(),
            claim_id: claim_id.to_string(),
            correlation_id: latest.correlation_id.clone(),
            causation_id: latest.source_event_id.to_string(),
        };
        let env = self.host.new_event(
            &origin,
            Payload::CorrectionRequested(CorrectionRequested {
                frequency_code: plan.frequency_code.to_string(),
                payer_claim_control_number: plan.payer_claim_control_number.clone(),
                version: plan.version,
                reason_codes: w.reason_codes.clone(),
                denial_category: w.category.clone(),
                work_item_id: w.work_item_id.to_string(),
                requested_by: actor.to_string(),
                note: r.note.clone(),
            }),
        );
        let event_id = uuid::Uuid::parse_str(&env.event_id).map_err(|_| Error::BadEvent {
            event_id: env.event_id.clone(),
            what: "a new event id that is not a UUID".into(),
        })?;
        let record = CorrectionRecord {
            work_item_id: w.work_item_id,
            frequency_code: plan.frequency_code,
            version: plan.version as i32,
            requested_by: actor,
            note: &r.note,
            event_id,
            at: self.host.platform.det.clock.now(),
        };
        store::record_correction(&mut tx, tenant, &record).await?;
        let action = NewAction {
            work_item_id: w.work_item_id,
            action: "correction_requested",
            actor,
            at: record.at,
            detail: format!("frequency {} version {}", plan.frequency_code, plan.version),
            note: Some(&r.note).filter(|n| !n.is_empty()).map(|n| n.as_str()),
            event_id: Some(event_id),
        };
        store::append_action(&mut tx, tenant, &action).await?;
        self.host.enqueue(&mut tx, &env).await?;
        let today = self.today();
        let item = store::work_item(&mut tx, tenant, w.work_item_id).await?.map(|w| to_proto(w, today));
        tx.commit().await?;
        tracing::info!(
            %tenant, %claim_id, work_item_id = %w.work_item_id, version = plan.version,
            frequency = plan.frequency_code, event_id = %env.event_id, "correction requested"
        );
        metrics::counter!("rcm_denials_corrections_requested_total", "frequency" => plan.frequency_code).increment(1);
        Ok(RequestCorrectionResponse {
            work_item: item,
            event_id: env.event_id,
            version: plan.version,
            frequency_code: plan.frequency_code.to_string(),
            payer_claim_control_number: plan.payer_claim_control_number,
        })
    }

    /// Today, by the service's clock.
    fn today(&self) -> NaiveDate {
        self.host.platform.det.clock.now().date_naive()
    }

    fn now(&self) -> DateTime<Utc> {
        self.host.platform.det.clock.now()
    }

    /// Opens a transaction with the work item locked, after checking the tenant and the actor.
    async fn begin_item<'a>(
        &self,
        tenant: &str,
        work_item_id: &str,
        actor: &'a str,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, store::LatestItem, Status, &'a str), Error> {
        self.known_tenant(tenant).await?;
        let actor = check_actor(actor)?;
        let id = parse_item_id(work_item_id)?;
        let mut tx = self.pool.begin().await?;
        let item = store::lock_item(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound { tenant: tenant.to_string(), work_item_id: id.to_string() })?;
        let status = Status::parse(&item.item.status).ok_or_else(|| Error::ItemPrecondition {
            work_item_id: id.to_string(),
            reason: format!("unknown status {:?}", item.item.status),
        })?;
        Ok((tx, item, status, actor))
    }

    /// Decides `action` on the item, mapping a refusal to its gRPC error.
    fn decide(
        &self,
        item: &store::LatestItem,
        status: Status,
        action: &QueueAction<'_>,
    ) -> Result<decide::Decided, Error> {
        decide::decide_action(status, action).map_err(|r| match r {
            Refused::Invalid(m) => Error::InvalidArgument(m),
            Refused::Precondition(reason) => {
                Error::ItemPrecondition { work_item_id: item.item.work_item_id.to_string(), reason }
            }
        })
    }

    /// A new event about the item's claim, in its chain.
    fn item_event(
        &self,
        tenant: &str,
        item: &store::LatestItem,
        payload: Payload,
    ) -> Result<(rcm_proto::events::Envelope, uuid::Uuid), Error> {
        let origin = Origin {
            tenant: tenant.to_string(),
            claim_id: item.item.claim_id.clone(),
            correlation_id: item.correlation_id.clone(),
            causation_id: item.source_event_id.to_string(),
        };
        let env = self.host.new_event(&origin, payload);
        let id = uuid::Uuid::parse_str(&env.event_id).map_err(|_| Error::BadEvent {
            event_id: env.event_id.clone(),
            what: "a new event id that is not a UUID".into(),
        })?;
        Ok((env, id))
    }

    /// Commits and returns the item as it now is.
    async fn finish(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        tenant: &str,
        id: uuid::Uuid,
    ) -> Result<WorkItem, Error> {
        let today = self.today();
        let item = store::work_item(&mut tx, tenant, id)
            .await?
            .map(|w| to_proto(w, today))
            .ok_or_else(|| Error::ItemNotFound { tenant: tenant.to_string(), work_item_id: id.to_string() })?;
        tx.commit().await?;
        Ok(item)
    }

    pub async fn get_work_item(&self, r: &pb::WorkItemRef) -> Result<pb::WorkItemDetail, Error> {
        check_tenant(&r.tenant_id)?;
        let id = parse_item_id(&r.work_item_id)?;
        let mut conn = self.pool.acquire().await?;
        let not_found = || Error::ItemNotFound { tenant: r.tenant_id.clone(), work_item_id: id.to_string() };
        let item = store::work_item(&mut conn, &r.tenant_id, id).await?.ok_or_else(not_found)?;
        let actions = store::actions(&mut conn, &r.tenant_id, id).await?;
        let appeals = store::appeals(&mut conn, &r.tenant_id, id).await?;
        Ok(pb::WorkItemDetail {
            item: Some(to_proto(item, self.today())),
            notes: actions
                .iter()
                .filter(|a| a.action == "note")
                .map(|a| pb::Note {
                    author: a.actor.clone(),
                    at: rfc3339(a.at),
                    text: a.note.clone().unwrap_or_default(),
                })
                .collect(),
            actions: actions
                .into_iter()
                .map(|a| pb::WorkItemAction {
                    sequence: a.sequence.max(0) as u64,
                    action: a.action,
                    actor: a.actor,
                    at: rfc3339(a.at),
                    detail: a.detail,
                    event_id: a.event_id.map(|e| e.to_string()).unwrap_or_default(),
                })
                .collect(),
            appeals: appeals.into_iter().map(appeal_to_proto).collect(),
        })
    }

    pub async fn assign(&self, r: &pb::AssignWorkItemRequest) -> Result<WorkItem, Error> {
        let (mut tx, item, status, actor) = self.begin_item(&r.tenant_id, &r.work_item_id, &r.actor).await?;
        self.decide(&item, status, &QueueAction::Assign)?;
        let assignee = r.assignee.trim();
        if assignee.chars().count() > 128 {
            return Err(Error::InvalidArgument("assignee is longer than 128 characters".into()));
        }
        let id = item.item.work_item_id;
        let now = self.now();
        store::set_assignee(&mut tx, &r.tenant_id, id, Some(assignee).filter(|a| !a.is_empty()), now).await?;
        let detail = if assignee.is_empty() { "unassigned".to_string() } else { format!("to {assignee}") };
        let action =
            NewAction { work_item_id: id, action: "assigned", actor, at: now, detail, note: None, event_id: None };
        store::append_action(&mut tx, &r.tenant_id, &action).await?;
        let out = self.finish(tx, &r.tenant_id, id).await?;
        tracing::info!(tenant = %r.tenant_id, work_item_id = %id, %actor, "work item assigned");
        Ok(out)
    }

    pub async fn add_note(&self, r: &pb::AddNoteRequest) -> Result<WorkItem, Error> {
        let (mut tx, item, status, actor) = self.begin_item(&r.tenant_id, &r.work_item_id, &r.actor).await?;
        self.decide(&item, status, &QueueAction::Note { text: &r.text })?;
        let id = item.item.work_item_id;
        let now = self.now();
        let detail = format!("{} characters", r.text.chars().count());
        let action =
            NewAction { work_item_id: id, action: "note", actor, at: now, detail, note: Some(&r.text), event_id: None };
        store::append_action(&mut tx, &r.tenant_id, &action).await?;
        let out = self.finish(tx, &r.tenant_id, id).await?;
        // The note's text stays in the database.
        tracing::info!(tenant = %r.tenant_id, work_item_id = %id, %actor, "note added");
        Ok(out)
    }

    pub async fn file_appeal(&self, r: &pb::FileAppealRequest) -> Result<pb::FileAppealResponse, Error> {
        let (mut tx, item, status, actor) = self.begin_item(&r.tenant_id, &r.work_item_id, &r.actor).await?;
        let today = self.today();
        let action =
            QueueAction::FileAppeal { today, deadline: item.item.appeal_deadline, supporting_text: &r.supporting_text };
        let decided = self.decide(&item, status, &action)?;
        if r.attachments.iter().any(|a| a.trim().is_empty() || a.chars().count() > 512) {
            return Err(Error::InvalidArgument("an attachment is empty or longer than 512 characters".into()));
        }
        let reason_codes: Vec<String> = if r.reason_codes.is_empty() {
            item.item.reason_codes.clone()
        } else {
            r.reason_codes.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
        };
        let w = &item.item;
        let (env, event_id) = self.item_event(
            &r.tenant_id,
            &item,
            Payload::AppealFiled(AppealFiled {
                work_item_id: w.work_item_id.to_string(),
                actor: actor.to_string(),
                // Codes only: the supporting text stays in the database.
                note: reason_codes.join(" "),
                payer_claim_control_number: w.payer_claim_control_number.clone(),
                appeal_deadline: w.appeal_deadline.map(|d| d.to_string()).unwrap_or_default(),
            }),
        )?;
        let now = self.now();
        let appeal = store::insert_appeal(
            &mut tx,
            &r.tenant_id,
            &NewAppeal {
                appeal_id: self.host.platform.det.ids.new_id(),
                work_item_id: w.work_item_id,
                claim_id: &w.claim_id,
                reason_codes: &reason_codes,
                supporting_text: &r.supporting_text,
                attachments: &r.attachments,
                filed_by: actor,
                filed_at: now,
                deadline: w.appeal_deadline,
                event_id,
            },
        )
        .await?;
        store::set_status(&mut tx, &r.tenant_id, w.work_item_id, decided.status, now, 0, None).await?;
        let detail =
            format!("level {} {}; {} attachment(s)", appeal.level, reason_codes.join(" "), r.attachments.len());
        let action = NewAction {
            work_item_id: w.work_item_id,
            action: "appeal_filed",
            actor,
            at: now,
            detail,
            note: None,
            event_id: Some(event_id),
        };
        store::append_action(&mut tx, &r.tenant_id, &action).await?;
        self.host.enqueue(&mut tx, &env).await?;
        let out = self.finish(tx, &r.tenant_id, w.work_item_id).await?;
        tracing::info!(
            tenant = %r.tenant_id, claim_id = %w.claim_id, work_item_id = %w.work_item_id, level = appeal.level,
            %actor, event_id = %env.event_id, "appeal filed"
        );
        metrics::counter!("rcm_denials_appeals_filed_total").increment(1);
        Ok(pb::FileAppealResponse {
            work_item: Some(out),
            appeal: Some(appeal_to_proto(appeal)),
            event_id: env.event_id,
        })
    }

    pub async fn record_appeal_outcome(&self, r: &pb::RecordAppealOutcomeRequest) -> Result<WorkItem, Error> {
        let (mut tx, item, status, actor) = self.begin_item(&r.tenant_id, &r.work_item_id, &r.actor).await?;
        let outcome = r.outcome.trim();
        let decided =
            self.decide(&item, status, &QueueAction::AppealOutcome { outcome, recovered_cents: r.recovered_cents })?;
        let id = item.item.work_item_id;
        let now = self.now();
        let level = store::record_appeal_outcome(&mut tx, &r.tenant_id, id, outcome, r.recovered_cents, actor, now)
            .await?
            .ok_or_else(|| Error::ItemPrecondition {
                work_item_id: id.to_string(),
                reason: "no pending appeal".into(),
            })?;
        store::set_status(&mut tx, &r.tenant_id, id, decided.status, now, 0, None).await?;
        let detail = format!("level {level} {outcome}; recovered {}", money(r.recovered_cents));
        let action = NewAction {
            work_item_id: id,
            action: "appeal_outcome",
            actor,
            at: now,
            detail,
            note: None,
            event_id: None,
        };
        store::append_action(&mut tx, &r.tenant_id, &action).await?;
        let out = self.finish(tx, &r.tenant_id, id).await?;
        tracing::info!(tenant = %r.tenant_id, work_item_id = %id, level, outcome, %actor, "appeal outcome recorded");
        metrics::counter!("rcm_denials_appeal_outcomes_total", "outcome" => outcome.to_string()).increment(1);
        Ok(out)
    }

    /// Closes the item and its claim (written off or billed to the patient), emitting
    /// `denials.claim_closed`.
    async fn close(
        &self,
        tenant: &str,
        work_item_id: &str,
        actor: &str,
        action: QueueAction<'_>,
        reason_code: Option<&str>,
    ) -> Result<pb::ResolutionResponse, Error> {
        let (mut tx, item, status, actor) = self.begin_item(tenant, work_item_id, actor).await?;
        let decided = self.decide(&item, status, &action)?;
        let w = &item.item;
        let resolution = decided.status.as_str();
        let (env, event_id) = self.item_event(
            tenant,
            &item,
            Payload::ClaimClosed(ClaimClosed {
                work_item_id: w.work_item_id.to_string(),
                actor: actor.to_string(),
                resolution: resolution.to_string(),
                note: String::new(),
                written_off_cents: decided.written_off_cents,
                reason_code: reason_code.unwrap_or_default().to_string(),
            }),
        )?;
        let now = self.now();
        store::set_status(&mut tx, tenant, w.work_item_id, decided.status, now, decided.written_off_cents, reason_code)
            .await?;
        let detail = match reason_code {
            Some(reason) => format!("{reason} {}", money(decided.written_off_cents)),
            None => format!("denied {}", money(w.denied_cents)),
        };
        let record = NewAction {
            work_item_id: w.work_item_id,
            action: resolution,
            actor,
            at: now,
            detail,
            note: None,
            event_id: Some(event_id),
        };
        store::append_action(&mut tx, tenant, &record).await?;
        self.host.enqueue(&mut tx, &env).await?;
        let out = self.finish(tx, tenant, w.work_item_id).await?;
        tracing::info!(
            %tenant, claim_id = %w.claim_id, work_item_id = %w.work_item_id, resolution,
            written_off_cents = decided.written_off_cents, %actor, event_id = %env.event_id, "claim closed"
        );
        metrics::counter!("rcm_denials_closed_total", "resolution" => resolution).increment(1);
        Ok(pb::ResolutionResponse { work_item: Some(out), event_id: env.event_id })
    }

    pub async fn write_off(&self, r: &pb::WriteOffRequest) -> Result<pb::ResolutionResponse, Error> {
        // The amount check needs the item; the decision repeats the reason check under the lock.
        let reason = r.reason_code.trim();
        let mut conn = self.pool.acquire().await?;
        let denied = match parse_item_id(&r.work_item_id) {
            Ok(id) => store::work_item(&mut conn, &r.tenant_id, id).await?.map(|w| w.denied_cents).unwrap_or(0),
            Err(_) => 0,
        };
        drop(conn);
        let action = QueueAction::WriteOff {
            reason_code: reason,
            allowed_reasons: &self.config.write_off_reasons,
            amount_cents: r.amount_cents,
            denied_cents: denied,
        };
        self.close(&r.tenant_id, &r.work_item_id, &r.actor, action, Some(reason)).await
    }

    pub async fn bill_patient(&self, r: &pb::BillPatientRequest) -> Result<pb::ResolutionResponse, Error> {
        self.close(&r.tenant_id, &r.work_item_id, &r.actor, QueueAction::BillPatient, None).await
    }

    pub async fn list(&self, r: &ListWorkQueueRequest) -> Result<WorkQueue, Error> {
        check_tenant(&r.tenant_id)?;
        let statuses = match r.status.trim() {
            "" => None,
            "all" => Some(vec![]),
            s => match Status::parse(s) {
                Some(s) => Some(vec![s.as_str().to_string()]),
                None => return Err(Error::InvalidArgument(format!("status {s:?} is not a work item status"))),
            },
        };
        let category = match r.category.trim() {
            "" => None,
            c => Some(
                Category::parse(c)
                    .ok_or_else(|| Error::InvalidArgument(format!("category {c:?} is not a category")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let filter = QueueFilter {
            statuses,
            category,
            payer_id: Some(r.payer_id.trim().to_string()).filter(|p| !p.is_empty()),
            assignee: match r.assignee.trim() {
                "" => None,
                "-" => Some(None),
                a => Some(Some(a.to_string())),
            },
        };
        let today = self.today();
        let mut items: Vec<WorkItem> = store::list_items(&self.pool, &r.tenant_id, &filter)
            .await?
            .into_iter()
            .map(|w| to_proto(w, today))
            .collect();
        rank(&mut items);
        items.truncate(self.config.limit(r.limit) as usize);
        Ok(WorkQueue { items })
    }

    pub async fn reports(&self, r: &pb::GetReportsRequest) -> Result<pb::Reports, Error> {
        check_tenant(&r.tenant_id)?;
        let range = Range { from: parse_day("from", &r.from)?, to: parse_day("to", &r.to)? };
        if let (Some(f), Some(t)) = (range.from, range.to)
            && f > t
        {
            return Err(Error::InvalidArgument(format!("from {f} is after to {t}")));
        }
        let payer = Some(r.payer_id.trim()).filter(|p| !p.is_empty());
        let input = store::report_input(&self.pool, &r.tenant_id, payer).await?;
        let built = reports::build(&input, range, self.today());
        Ok(pb::Reports {
            tenant_id: r.tenant_id.clone(),
            from: range.from.map(|d| d.to_string()).unwrap_or_default(),
            to: range.to.map(|d| d.to_string()).unwrap_or_default(),
            payer_id: payer.unwrap_or_default().to_string(),
            ..reports_to_proto(&built)
        })
    }
}

fn check_tenant(tenant: &str) -> Result<(), Error> {
    rcm_runtime::subjects::check_tenant(tenant).map_err(|e| Error::InvalidArgument(e.to_string()))
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The item as the API shows it, with its priority as of `today`.
fn to_proto(w: store::WorkItem, today: NaiveDate) -> WorkItem {
    let days = decide::days_to(w.appeal_deadline, today);
    let status = Status::parse(&w.status);
    // A closed item keeps the priority it was queued with; an open one is ranked as of today.
    let priority = match status {
        Some(s) if !s.is_closed() => decide::priority(w.expected_recovery_cents, days),
        _ => w.priority,
    };
    WorkItem {
        work_item_id: w.work_item_id.to_string(),
        claim_id: w.claim_id,
        category: w.category,
        priority,
        reason_codes: w.reason_codes,
        denied_cents: w.denied_cents,
        status: w.status,
        created_at: rfc3339(w.created_at),
        payer_claim_control_number: w.payer_claim_control_number,
        correction_frequency_code: w.correction_frequency_code.unwrap_or_default(),
        correction_version: w.correction_version.unwrap_or(0).max(0) as u32,
        correction_requested_by: w.correction_requested_by.unwrap_or_default(),
        correction_requested_at: w.correction_requested_at.map(rfc3339).unwrap_or_default(),
        recommended_action: w.recommended_action,
        expected_recovery_cents: w.expected_recovery_cents,
        remit_date: w.remit_date.to_string(),
        appeal_deadline: w.appeal_deadline.map(|d| d.to_string()).unwrap_or_default(),
        days_to_deadline: days.unwrap_or(0).clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        appeal_rule: w.appeal_rule,
        code_flags: w.code_flags,
        payer_id: w.payer_id,
        assignee: w.assignee.unwrap_or_default(),
        resolution: w.resolution.unwrap_or_default(),
        written_off_cents: w.written_off_cents,
        updated_at: rfc3339(w.updated_at),
        codes_version: w.codes_version,
    }
}

fn appeal_to_proto(a: store::AppealRow) -> pb::Appeal {
    pb::Appeal {
        appeal_id: a.appeal_id.to_string(),
        level: a.level.max(0) as u32,
        reason_codes: a.reason_codes,
        supporting_text: a.supporting_text,
        attachments: a.attachments,
        filed_by: a.filed_by,
        filed_at: rfc3339(a.filed_at),
        deadline: a.deadline.map(|d| d.to_string()).unwrap_or_default(),
        outcome: a.outcome.unwrap_or_default(),
        recovered_cents: a.recovered_cents.unwrap_or(0),
        outcome_by: a.outcome_by.unwrap_or_default(),
        outcome_at: a.outcome_at.map(rfc3339).unwrap_or_default(),
    }
}

/// Ranks items: highest priority first, then the nearest deadline, then the oldest.
pub fn rank(items: &mut [WorkItem]) {
    items.sort_by(|a, b| {
        let deadline =
            |w: &WorkItem| if w.appeal_deadline.is_empty() { "9999".to_string() } else { w.appeal_deadline.clone() };
        b.priority
            .cmp(&a.priority)
            .then_with(|| deadline(a).cmp(&deadline(b)))
            .then_with(|| a.created_at.cmp(&b.created_at))
            .then_with(|| a.work_item_id.cmp(&b.work_item_id))
    });
}

fn check_actor(actor: &str) -> Result<&str, Error> {
    let a = actor.trim();
    if a.is_empty() {
        return Err(Error::InvalidArgument("actor (the user id) is required".into()));
    }
    if a.chars().count() > 128 {
        return Err(Error::InvalidArgument("actor is longer than 128 characters".into()));
    }
    Ok(a)
}

fn parse_item_id(id: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(id.trim())
        .map_err(|_| Error::InvalidArgument(format!("work_item_id {:?} is not a work item id", id.trim())))
}

fn parse_day(what: &str, s: &str) -> Result<Option<NaiveDate>, Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Error::InvalidArgument(format!("{what} {s:?} is not a date (YYYY-MM-DD)")))
}

fn ratio(r: reports::Ratio) -> pb::Ratio {
    pb::Ratio { numerator: r.numerator, denominator: r.denominator, rate: r.rate() }
}

fn denial_rows(rows: &[reports::DenialRow]) -> Vec<pb::DenialRateRow> {
    rows.iter()
        .map(|r| pb::DenialRateRow {
            key: r.key.clone(),
            denied_claims: r.denied_claims,
            adjudicated_claims: r.adjudicated_claims,
            rate: r.rate(),
            denied_cents: r.denied_cents,
        })
        .collect()
}

fn buckets(b: &[reports::Bucket; 5]) -> Vec<pb::AgingBucket> {
    BUCKETS
        .iter()
        .zip(b.iter())
        .map(|(name, b)| pb::AgingBucket { bucket: name.to_string(), claims: b.claims, cents: b.cents })
        .collect()
}

fn queue_counts(v: &[reports::QueueCount]) -> Vec<pb::QueueCount> {
    v.iter()
        .map(|q| pb::QueueCount {
            key: q.key.clone(),
            items: q.items,
            denied_cents: q.denied_cents,
            expected_recovery_cents: q.expected_recovery_cents,
        })
        .collect()
}

/// The reports as the API gives them.
pub fn reports_to_proto(r: &reports::Reports) -> pb::Reports {
    pb::Reports {
        denial_rate: Some(ratio(r.denial_rate)),
        denial_rate_by_payer: denial_rows(&r.by_payer),
        denial_rate_by_category: denial_rows(&r.by_category),
        denial_rate_by_carc: denial_rows(&r.by_carc),
        first_pass_resolution: Some(ratio(r.first_pass_resolution)),
        clean_claim_rate: Some(ratio(r.clean_claim_rate)),
        days_in_ar: r.days_in_ar,
        paid_claims: r.paid_claims,
        paid_aging: buckets(&r.paid_aging),
        open_ar_aging: buckets(&r.open_ar_aging),
        net_collection_rate: Some(ratio(r.net_collection_rate)),
        charges_cents: r.charges_cents,
        contractual_cents: r.contractual_cents,
        payments_cents: r.payments_cents,
        queue_by_status: queue_counts(&r.queue_by_status),
        queue_by_category: queue_counts(&r.queue_by_category),
        queue_by_action: queue_counts(&r.queue_by_action),
        ..pb::Reports::default()
    }
}

#[tonic::async_trait]
impl DenialsService for Denials {
    async fn get_claim_status(
        &self,
        request: Request<ClaimRef>,
    ) -> Result<Response<ServiceClaimStatus>, tonic::Status> {
        let r = request.into_inner();
        check_tenant(&r.tenant_id)?;
        if r.claim_id.is_empty() {
            return Err(Error::InvalidArgument("claim_id is empty".into()).into());
        }
        if let Some(w) = store::latest_work_item(&self.pool, &r.tenant_id, &r.claim_id).await.map_err(Error::from)? {
            let action = w.recommended_action.clone();
            let mut detail = format!(
                "work item {} ({}): {} {}, priority {}, denied {}, reasons {}, next {}, ERA {}, payer claim {}",
                w.work_item_id,
                w.status,
                w.outcome,
                w.category,
                w.priority,
                money(w.denied_cents),
                w.reason_codes.join(" "),
                action,
                w.era_file,
                w.payer_claim_control_number
            );
            if let Some(d) = w.appeal_deadline {
                detail.push_str(&format!(", appeal by {d}"));
            }
            if !w.code_flags.is_empty() {
                detail.push_str(&format!(", flags {}", w.code_flags.join(" ")));
            }
            let corrected = w.status == decide::STATUS_CORRECTION_REQUESTED;
            if let (true, Some(f), Some(v)) = (corrected, &w.correction_frequency_code, w.correction_version) {
                let by = w.correction_requested_by.as_deref().unwrap_or("?");
                detail.push_str(&format!("; frequency {f} requested as version {v} by {by}"));
            }
            return Ok(Response::new(ServiceClaimStatus {
                claim_id: r.claim_id,
                state: if corrected { decide::STATUS_CORRECTION_REQUESTED.into() } else { "denial_queued".into() },
                updated_at: w.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                detail,
            }));
        }
        match store::latest_adjudication(&self.pool, &r.tenant_id, &r.claim_id).await.map_err(Error::from)? {
            Some((outcome, at)) => Ok(Response::new(ServiceClaimStatus {
                claim_id: r.claim_id,
                state: "no_denial".into(),
                updated_at: at.to_rfc3339_opts(SecondsFormat::Millis, true),
                detail: format!("last adjudication: {outcome}"),
            })),
            None => Err(Error::NotFound { tenant: r.tenant_id, claim_id: r.claim_id }.into()),
        }
    }

    async fn list_work_queue(
        &self,
        request: Request<ListWorkQueueRequest>,
    ) -> Result<Response<WorkQueue>, tonic::Status> {
        Ok(Response::new(self.list(request.get_ref()).await?))
    }

    async fn request_correction(
        &self,
        request: Request<RequestCorrectionRequest>,
    ) -> Result<Response<RequestCorrectionResponse>, tonic::Status> {
        let span = tracing::info_span!("grpc", service = crate::NAME, method = "RequestCorrection");
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        let out = tracing::Instrument::instrument(self.request_correction(request.get_ref()), span).await?;
        Ok(Response::new(out))
    }

    async fn get_work_item(
        &self,
        request: Request<pb::WorkItemRef>,
    ) -> Result<Response<pb::WorkItemDetail>, tonic::Status> {
        Ok(Response::new(self.get_work_item(request.get_ref()).await?))
    }

    async fn assign_work_item(
        &self,
        request: Request<pb::AssignWorkItemRequest>,
    ) -> Result<Response<WorkItem>, tonic::Status> {
        Ok(Response::new(self.assign(request.get_ref()).await?))
    }

    async fn add_note(&self, request: Request<pb::AddNoteRequest>) -> Result<Response<WorkItem>, tonic::Status> {
        Ok(Response::new(self.add_note(request.get_ref()).await?))
    }

    async fn file_appeal(
        &self,
        request: Request<pb::FileAppealRequest>,
    ) -> Result<Response<pb::FileAppealResponse>, tonic::Status> {
        let span = tracing::info_span!("grpc", service = crate::NAME, method = "FileAppeal");
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        let out = tracing::Instrument::instrument(self.file_appeal(request.get_ref()), span).await?;
        Ok(Response::new(out))
    }

    async fn record_appeal_outcome(
        &self,
        request: Request<pb::RecordAppealOutcomeRequest>,
    ) -> Result<Response<WorkItem>, tonic::Status> {
        Ok(Response::new(self.record_appeal_outcome(request.get_ref()).await?))
    }

    async fn write_off(
        &self,
        request: Request<pb::WriteOffRequest>,
    ) -> Result<Response<pb::ResolutionResponse>, tonic::Status> {
        let span = tracing::info_span!("grpc", service = crate::NAME, method = "WriteOff");
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        let out = tracing::Instrument::instrument(self.write_off(request.get_ref()), span).await?;
        Ok(Response::new(out))
    }

    async fn bill_patient(
        &self,
        request: Request<pb::BillPatientRequest>,
    ) -> Result<Response<pb::ResolutionResponse>, tonic::Status> {
        let span = tracing::info_span!("grpc", service = crate::NAME, method = "BillPatient");
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        let out = tracing::Instrument::instrument(self.bill_patient(request.get_ref()), span).await?;
        Ok(Response::new(out))
    }

    async fn get_reports(
        &self,
        request: Request<pb::GetReportsRequest>,
    ) -> Result<Response<pb::Reports>, tonic::Status> {
        Ok(Response::new(self.reports(request.get_ref()).await?))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_dollars_and_cents() {
        assert_eq!(super::money(0), "0.00");
        assert_eq!(super::money(12_345), "123.45");
        assert_eq!(super::money(-5), "-0.05");
    }
}
