//! The scan function's entry: plan on the schedule or a manual invoke, work tasks from the
//! scan queue. The Lambda crate only builds the context and calls [`handle`].

use std::time::Instant;

use serde_json::{json, Value};

use super::config::ScanConfig;
use super::context::ScanContext;
use super::{classify, plan, work, ScanError, Trigger};

pub use crate::deadline::{deadline_from_epoch_ms, LONGEST_TIMEOUT};

/// Handles one invocation. `base` is the deployment's scan config document.
///
/// Returns `{"scan_id", "buckets", "units"}` for a plan and `{"tasks": [...]}` for tasks.
pub async fn handle(
    ctx: &ScanContext,
    base: &Value,
    event: Value,
    deadline: Option<Instant>,
) -> Result<Value, ScanError> {
    match classify(event)? {
        Trigger::Schedule => plan_with(ctx, ScanConfig::from_value(base.clone())?).await,
        Trigger::Manual(payload) => {
            let overrides = match payload {
                Value::Null => json!({}),
                v => v,
            };
            plan_with(ctx, ScanConfig::with_overrides(base.clone(), overrides)?).await
        }
        Trigger::Tasks(tasks) => {
            let mut done = Vec::new();
            for task in tasks {
                let (scan_id, unit, slice) =
                    (task.scan_id.clone(), task.unit.id.clone(), task.slice);
                let out = work::run_task(ctx, task, deadline).await?;
                done.push(json!({
                    "scan_id": scan_id, "unit": unit, "slice": slice, "objects": out.objects,
                    "unit_done": out.unit_done, "reports_written": out.reports_written,
                }));
            }
            Ok(json!({ "tasks": done }))
        }
    }
}

async fn plan_with(ctx: &ScanContext, config: ScanConfig) -> Result<Value, ScanError> {
    let plan = plan::plan(ctx, config).await?;
    Ok(json!({
        "scan_id": plan.scan_id,
        "plan": ctx.store.location(&plan::plan_key(&plan.scan_id)),
        "buckets": plan.buckets.len(),
        "units": plan.units.len(),
        "unreadable": plan.buckets.iter().filter(|b| b.unreadable.is_some()).map(|b| &b.name).collect::<Vec<_>>(),
    }))
}
