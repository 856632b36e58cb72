//! Planning a scan: per account assume the role, list and filter buckets, read their
//! metadata, write `scans/<scan_id>/plan.json` and queue one task per unit (a bucket, an
//! include prefix, or a top-level prefix of a bucket the config marks large).

use crate::aws::listed_name;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::access::AccessIssue;
use super::bucket::{bucket_region, read_metadata};
use super::config::{ScanConfig, ScanMode};
use super::context::ScanContext;
use super::inventory_slice::{fallback_issue, files_of, pin, InventoryFile};
use super::report::{BucketMetadata, ScanIssue, SizeSource};
use super::storage_metrics::size_and_count;
use super::task::{Baseline, Task, Unit};
use super::ScanError;

/// One account of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPlan {
    /// The role scanned through; `None` for the caller's own credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The account ID, when STS said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Why the account could not be scanned (role not assumable, ListBuckets denied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<AccessIssue>,
}

/// One bucket of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedBucket {
    /// The account's role (`None`: own credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Account ID, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Bucket name.
    pub name: String,
    /// Metadata and posture.
    pub metadata: BucketMetadata,
    /// Metadata calls that failed (the bucket is still scanned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<AccessIssue>,
    /// Ids of the units its objects are listed in (none when unreadable).
    pub units: Vec<String>,
    /// Why its objects cannot be listed; the scan goes on without them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<AccessIssue>,
    /// What the bucket's report should say besides errors of calls, e.g. why its S3
    /// Inventory report was not used (`InventoryFallback`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<ScanIssue>,
}

/// `scans/<scan_id>/plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Scan id: UTC start time and a random suffix, e.g. `20261129T213000Z-3f9a1c2b`.
    pub scan_id: String,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// Effective config (no external IDs).
    pub config: ScanConfig,
    /// Accounts.
    pub accounts: Vec<AccountPlan>,
    /// Buckets in scope.
    pub buckets: Vec<PlannedBucket>,
    /// Every unit queued.
    pub units: Vec<Unit>,
    /// Bucket include patterns of the config that matched no bucket the credentials
    /// list (most likely a typo, or a bucket of an account that was not scanned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched_bucket_patterns: Vec<String>,
}

/// Key of a scan's plan.
pub fn plan_key(scan_id: &str) -> String {
    format!("scans/{scan_id}/plan.json")
}

/// Key of a unit's incremental checkpoint.
pub fn checkpoint_key(unit_id: &str) -> String {
    format!("scans/checkpoints/{unit_id}.json")
}

/// A unit's checkpoint: the last completed scan of that scope, advanced only when the
/// unit's last slice is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The completed scan and its slice bounds.
    pub baseline: Baseline,
    /// When it completed (RFC 3339).
    pub completed_at: String,
}

/// A new scan id.
pub fn new_scan_id() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let t = crate::reject::rfc3339(ms);
    // 2026-11-29T21:30:00.123Z -> 20261129T213000Z
    let compact: String = t[..19].chars().filter(|c| *c != '-' && *c != ':').collect();
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{compact}Z-{}", &id[..8])
}

/// Now, RFC 3339.
pub fn now() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    crate::reject::rfc3339(ms)
}

/// With buckets named outright and several accounts, each account tries each name, and a
/// name is one bucket (bucket names are global): it is scanned once, through the first
/// account that could read it, whose report then notes every other account's failure to
/// read it with that account's role and the action to grant (another account's bucket, or
/// a grant missing). A name no account could read is reported unreadable once, with the
/// other accounts' failures noted the same way. Returns the ids of the units dropped with
/// the copies not scanned.
fn one_copy_per_name(buckets: &mut Vec<PlannedBucket>) -> Vec<String> {
    let mut kept: Vec<PlannedBucket> = Vec::new();
    let mut dropped = Vec::new();
    for b in buckets.drain(..) {
        let Some(k) = kept.iter_mut().find(|k| k.name == b.name) else {
            kept.push(b);
            continue;
        };
        let other = if k.unreadable.is_some() && b.unreadable.is_none() {
            let mut readable = b;
            readable.notes.append(&mut k.notes);
            std::mem::replace(k, readable)
        } else {
            b
        };
        if let Some(issue) = &other.unreadable {
            let mut note = issue.to_report(None);
            note.message = format!(
                "not readable through {}: {}",
                other.role_arn.as_deref().map_or_else(
                    || "the scan's own credentials".to_string(),
                    |r| format!("the role {r}")
                ),
                issue.message
            );
            k.notes.push(note);
        }
        dropped.extend(other.units);
    }
    *buckets = kept;
    dropped
}

/// Plans a scan and queues its tasks. The plan is written before any task is queued, so
/// every task can count the units against it. A scan with no unit is finalized here.
pub async fn plan(ctx: &ScanContext, mut config: ScanConfig) -> Result<Plan, ScanError> {
    // The plan and every task carry the config: the allow-list goes in as digests only.
    config.seal_allow_list(ctx.hmac_key.as_deref())?;
    let scan_id = new_scan_id();
    let started_at = now();
    let scope = config.scope();
    let named = scope.buckets.named_only();
    let mut accounts = Vec::new();
    let mut buckets = Vec::new();
    let mut units = Vec::new();
    let mut listed_names: Vec<String> = Vec::new();
    let roles: Vec<Option<String>> = if config.accounts.is_empty() {
        vec![None]
    } else {
        config
            .accounts
            .iter()
            .map(|a| Some(a.role_arn.clone()))
            .collect()
    };
    let roles_count = roles.len();
    for role in roles {
        let mut account = AccountPlan {
            role_arn: role.clone(),
            account_id: None,
            issue: None,
        };
        let clients = match ctx.clients_for(role.as_deref()).await {
            Ok(c) => c,
            Err(issue) => {
                warn!(
                    role = role.as_deref(),
                    code = issue.error_code.as_deref(),
                    "account skipped: {}",
                    issue.message
                );
                account.issue = Some(issue);
                accounts.push(account);
                continue;
            }
        };
        account.account_id = clients
            .sts()
            .get_caller_identity()
            .send()
            .await
            .ok()
            .and_then(|o| o.account().map(str::to_string));
        // Buckets named outright are addressed directly: no ListBuckets, so a role
        // allowed on those buckets alone (no s3:ListAllMyBuckets) scans them.
        let listed = match &named {
            Some(names) => names
                .iter()
                .map(|name| super::BucketInfo {
                    name: name.clone(),
                    created: None,
                    region: None,
                })
                .collect(),
            None => match super::list_buckets(&clients.s3()).await {
                Ok(l) => l,
                Err(ScanError::ListBuckets {
                    code,
                    detail,
                    transient,
                }) => {
                    account.issue = Some(AccessIssue {
                    operation: "ListBuckets".into(),
                    action: "s3:ListAllMyBuckets".into(),
                    error_code: code,
                    http_status: None,
                    message: format!("could not list buckets: {detail} (grant s3:ListAllMyBuckets to the scanning role)"),
                    transient,
                });
                    accounts.push(account);
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        // The account's Block Public Access applies to all its buckets: read once.
        let account_bpa = match &account.account_id {
            Some(id) => {
                let region = clients.region().unwrap_or("us-east-1").to_string();
                Some(super::account::public_access_block(&clients.s3control_in(&region), id).await)
            }
            None => None,
        };
        let regions = config
            .accounts
            .iter()
            .find(|a| Some(&a.role_arn) == role.as_ref())
            .map(|a| a.regions.clone())
            .unwrap_or_default();
        if named.is_none() {
            listed_names.extend(listed.iter().map(|b| b.name.clone()));
        }
        for b in listed {
            if !scope.buckets.matches(&b.name) {
                continue;
            }
            let region = match bucket_region(&clients.s3(), &b.name, b.region.as_deref()).await {
                Ok(r) => r,
                // A name that is no bucket matches nothing, as a pattern would.
                Err(issue)
                    if named.is_some() && issue.error_code.as_deref() == Some("NoSuchBucket") =>
                {
                    continue;
                }
                Err(issue) => {
                    if named.is_some() {
                        listed_names.push(b.name.clone());
                    }
                    buckets.push(PlannedBucket {
                        role_arn: role.clone(),
                        account_id: account.account_id.clone(),
                        name: b.name.clone(),
                        metadata: BucketMetadata {
                            created_at: b.created.clone(),
                            ..BucketMetadata::default()
                        },
                        issues: Vec::new(),
                        units: Vec::new(),
                        unreadable: Some(issue),
                        notes: Vec::new(),
                    });
                    continue;
                }
            };
            if named.is_some() {
                listed_names.push(b.name.clone());
            }
            if !regions.is_empty() && !regions.contains(&region) {
                continue;
            }
            let s3 = clients.s3_in(&region);
            let (mut metadata, mut issues) =
                read_metadata(&s3, &b.name, &region, b.created.clone()).await;
            match &account_bpa {
                Some(Ok(bpa)) => metadata.account_public_access_block = Some(*bpa),
                Some(Err(issue)) => issues.push(issue.clone()),
                None => {}
            }
            let cloudwatch = clients.cloudwatch_in(&region);
            match size_and_count(&cloudwatch, &b.name, SystemTime::now()).await {
                Ok(Some((size, count))) => {
                    metadata.size_bytes = Some(size);
                    metadata.object_count = Some(count);
                    metadata.size_source = Some(SizeSource::Cloudwatch);
                }
                // No datapoint yet: the listing (or inventory) counts instead.
                Ok(None) => {}
                Err(issue) => issues.push(issue),
            }
            let mut planned = PlannedBucket {
                role_arn: role.clone(),
                account_id: account.account_id.clone(),
                name: b.name.clone(),
                metadata,
                issues,
                units: Vec::new(),
                unreadable: None,
                notes: Vec::new(),
            };
            let files = match config.inventory_for(&b.name) {
                Some(source) => match inventory_files(&s3, source).await {
                    Ok(files) => files,
                    Err(reason) => {
                        warn!(bucket = %b.name, "{reason}");
                        planned.notes.push(fallback_issue(source, &reason));
                        Vec::new()
                    }
                },
                None => Vec::new(),
            };
            let listed = if files.is_empty() {
                bucket_units(&s3, &scope, &role, &account.account_id, &b.name, &region).await
            } else {
                Ok(files
                    .into_iter()
                    .map(|f| {
                        Unit::for_inventory_file(
                            role.clone(),
                            account.account_id.clone(),
                            &b.name,
                            &region,
                            f,
                        )
                    })
                    .collect())
            };
            match listed {
                Ok(list) => {
                    planned.units = list.iter().map(|u| u.id.clone()).collect();
                    units.extend(list);
                }
                Err(issue) => {
                    warn!(bucket = %b.name, code = issue.error_code.as_deref(), "bucket not listable: {}", issue.message);
                    planned.unreadable = Some(issue);
                }
            }
            buckets.push(planned);
        }
        accounts.push(account);
    }
    if named.is_some() && roles_count > 1 {
        let dropped = one_copy_per_name(&mut buckets);
        units.retain(|u| !dropped.contains(&u.id));
    }
    let plan = Plan {
        scan_id: scan_id.clone(),
        started_at: started_at.clone(),
        config: config.clone(),
        accounts,
        buckets,
        units: units.clone(),
        unmatched_bucket_patterns: scope
            .buckets
            .unmatched_includes(listed_names.iter().map(String::as_str)),
    };
    ctx.store
        .put_json(&plan_key(&scan_id), &plan, None)
        .await
        .map_err(ScanError::Store)?;
    info!(scan_id = %scan_id, buckets = plan.buckets.len(), units = units.len(), "scan planned");
    let mut manifest_read = std::collections::HashSet::new();
    for unit in units {
        // One unit per bucket reads its openmetadata.json containers.
        let read_manifest = manifest_read.insert((unit.role_arn.clone(), unit.bucket.clone()));
        // An inventory file unit compares against its bucket's checkpoint (by time).
        let scope_id = match unit.inventory {
            Some(_) => unit.bucket_scope_id(),
            None => unit.id.clone(),
        };
        let baseline = match config.mode {
            ScanMode::Full => None,
            ScanMode::Incremental => ctx
                .store
                .get_json::<Checkpoint>(&checkpoint_key(&scope_id))
                .await
                .map_err(ScanError::Store)?
                .map(|c| c.baseline)
                .filter(|b| b.slices > 0)
                .filter(|b| unit.inventory.is_none() || b.changed_since.is_some()),
        };
        ctx.queue
            .send(Task {
                scan_id: scan_id.clone(),
                started_at: started_at.clone(),
                config: config.clone(),
                unit,
                slice: 0,
                start_after: None,
                baseline,
                folders: Vec::new(),
                baseline_part: 0,
                inventory: None,
                read_manifest,
                shard: None,
                ranges: Vec::new(),
            })
            .await
            .map_err(ScanError::Queue)?;
    }
    if plan.units.is_empty() {
        super::finalize::finish_if_last(ctx, &scan_id, "plan").await?;
    }
    Ok(plan)
}

/// The data files of the bucket's latest usable S3 Inventory report, one unit's worth
/// each ([`super::inventory_slice`]); `Err` with the reason the bucket is listed instead
/// (no complete report, too old, unreadable, or one without data files).
async fn inventory_files(
    s3: &aws_sdk_s3::Client,
    source: &super::config::InventorySource,
) -> Result<Vec<InventoryFile>, String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (pinned, report) = pin(s3, source, now_ms).await?;
    let files = files_of(&pinned, &report);
    if files.is_empty() {
        return Err(format!(
            "the report {} lists no data file",
            report.manifest_uri()
        ));
    }
    Ok(files)
}

/// The units of one listed bucket: one per listing prefix, and for a large bucket scanned
/// whole, one per top-level prefix plus one for the keys at its root. Listing the top
/// level doubles as the check that the objects can be listed at all.
async fn bucket_units(
    s3: &aws_sdk_s3::Client,
    scope: &super::scope::Scope,
    role: &Option<String>,
    account_id: &Option<String>,
    bucket: &str,
    region: &str,
) -> Result<Vec<Unit>, AccessIssue> {
    let prefixes = scope.prefixes.listing_prefixes();
    let shard = scope.is_large(bucket) && prefixes == [String::new()];
    let mut token = None;
    let mut top = Vec::new();
    loop {
        let mut req = s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(bucket)
            .max_keys(if shard { 1000 } else { 1 })
            .set_continuation_token(token.take());
        if shard {
            req = req.delimiter("/");
        }
        let page = req
            .send()
            .await
            .map_err(|e| AccessIssue::listing(bucket, &e))?;
        if !shard {
            break;
        }
        top.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(listed_name)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let unit = |prefix: &str, root_only: bool| {
        Unit::new(
            role.clone(),
            account_id.clone(),
            bucket,
            region,
            prefix,
            root_only,
        )
    };
    if shard {
        let mut units = vec![unit("", true)];
        units.extend(top.iter().map(|p| unit(p, false)));
        return Ok(units);
    }
    Ok(prefixes.iter().map(|p| unit(p, false)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_ids_sort_by_time_and_are_unique() {
        let a = new_scan_id();
        let b = new_scan_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "20261129T213000Z-3f9a1c2b".len(), "{a}");
        assert!(a.as_bytes()[8] == b'T' && a.contains("Z-"), "{a}");
    }
}
