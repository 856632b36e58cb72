//! Lambda entry point for scans: the EventBridge schedule or a manual invoke plans a scan;
//! messages from the scan queue are its tasks.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::classify::HMAC_KEY_ENV;
use s3connector::object::bomb_limits;
use s3connector::scan::config::{load_base, ScanConfig, SCAN_QUEUE_URL_ENV};
use s3connector::scan::context::ScanContext;
use s3connector::scan::entry::{deadline_from_epoch_ms, handle};
use s3connector::scan::store::Store;
use s3connector::scan::task::TaskQueue;
use s3connector::{config::Config, telemetry};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let clients = Clients::load(&ClientSettings::from(&config)).await?;
    let env = |name: &str| std::env::var(name).ok();
    let base = load_base(env, &clients.s3()).await?;
    let scan_config = ScanConfig::from_value(base.clone())?;
    let bucket = scan_config
        .output
        .bucket
        .clone()
        .or(config.output_bucket.clone())
        .ok_or("the scan needs an output bucket: set S3CONNECTOR_OUTPUT_BUCKET or output.bucket in the scan config")?;
    let prefix = scan_config
        .output
        .prefix
        .clone()
        .map(|p| {
            if p.is_empty() || p.ends_with('/') {
                p
            } else {
                format!("{p}/")
            }
        })
        .unwrap_or(config.output_prefix.clone());
    let queue_url = env(SCAN_QUEUE_URL_ENV)
        .filter(|u| !u.is_empty())
        .ok_or("S3CONNECTOR_SCAN_QUEUE_URL is not set: the scan needs its task queue")?;
    let store = Store::S3 {
        client: clients.s3(),
        bucket,
        prefix,
    };
    let queue = TaskQueue::Sqs {
        client: clients.sqs(),
        url: queue_url,
    };
    let mut ctx = ScanContext::new(clients, scan_config.accounts.clone(), store, queue);
    ctx.hmac_key = env(HMAC_KEY_ENV).filter(|k| !k.is_empty());
    // The decompression limits ingest reads (S3CONNECTOR_MAX_COMPRESSION_RATIO...).
    ctx.bomb = bomb_limits(&|k: &str| env(k).filter(|v| !v.trim().is_empty()))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (ctx, base) = (ctx.clone(), base.clone());
        async move {
            let deadline = deadline_from_epoch_ms(event.context.deadline);
            Ok::<Value, Error>(handle(&ctx, &base, event.payload, Some(deadline)).await?)
        }
    }))
    .await
}
