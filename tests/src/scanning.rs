//! The scan tests' shared harness: buckets and objects in the emulator, a scan context
//! whose store is an output bucket there, and a whole scan run with its tasks in memory.

use aws_sdk_s3::primitives::ByteStream;
use s3connector::aws::Clients;
use s3connector::scan::config::ScanConfig;
use s3connector::scan::context::ScanContext;
use s3connector::scan::finalize::report_key;
use s3connector::scan::plan::{self, Plan};
use s3connector::scan::report::ScanReport;
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use s3connector::scan::work;
use serde_json::Value;

use crate::unique_name;

/// Creates a bucket with a name no other test uses (`<prefix>-<unique>`).
pub async fn new_bucket(clients: &Clients, prefix: &str) -> String {
    let name = unique_name(prefix);
    clients
        .s3()
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    name
}

/// Puts an object and returns its ETag.
pub async fn put(clients: &Clients, bucket: &str, key: &str, body: impl Into<Vec<u8>>) -> String {
    clients
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.into()))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string()
}

/// Deletes an object.
pub async fn delete(clients: &Clients, bucket: &str, key: &str) {
    clients
        .s3()
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
}

/// Keys of the objects the scan read itself (not results carried forward from an
/// earlier scan), in report order.
pub fn read_by_this_scan(b: &s3connector::scan::report::BucketReport) -> Vec<&str> {
    b.objects
        .iter()
        .filter(|o| o.carried_from.is_none())
        .map(|o| o.metadata.key.as_str())
        .collect()
}

/// A context whose store is a new output bucket (`<out_prefix>-<unique>`, store prefix
/// `s3connector/`) in the emulator, with tasks in memory and a fixed HMAC key.
pub async fn scan_context(clients: &Clients, out_prefix: &str) -> ScanContext {
    let store = Store::S3 {
        client: clients.s3(),
        bucket: new_bucket(clients, out_prefix).await,
        prefix: "s3connector/".into(),
    };
    let mut ctx = ScanContext::new(clients.clone(), Vec::new(), store, TaskQueue::memory());
    ctx.hmac_key = Some("integration-test-key".into());
    ctx
}

/// Plans a scan of `config` and works every task it queues, in order; returns the plan and
/// the report.json the last task wrote. `on_task` sees each task before it runs.
pub async fn run_scan(
    ctx: &ScanContext,
    config: Value,
    mut on_task: impl FnMut(&s3connector::scan::task::Task),
) -> (Plan, ScanReport) {
    let config = ScanConfig::from_value(config).expect("valid scan config");
    let plan = plan::plan(ctx, config).await.expect("plan");
    while let Some(task) = ctx.queue.pop() {
        on_task(&task);
        work::run_task(ctx, task, None).await.expect("task");
    }
    let raw = ctx
        .store
        .get(&report_key(&plan.scan_id))
        .await
        .unwrap()
        .expect("the last task wrote report.json");
    (plan, serde_json::from_slice(&raw).unwrap())
}

/// Now, epoch milliseconds (report creation times relative to the test's run).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The report's bucket `name`; panics when the report has none.
pub fn bucket_named<'a>(
    r: &'a ScanReport,
    name: &str,
) -> &'a s3connector::scan::report::BucketReport {
    r.buckets
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("bucket {name} not in the report"))
}
