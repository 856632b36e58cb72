//! Lambda entry point for log ingestion: SQS (or direct S3/SNS/EventBridge) events in.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::ingest::{self, IngestConfig, IngestContext};
use s3connector::{config::Config, telemetry};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let settings = IngestConfig::from_env()?;
    // Output and rejects are written with the function's own identity; source objects
    // are read with the configured role, when there is one. The SDK config loads once.
    let own = ClientSettings {
        assume_role: None,
        ..ClientSettings::from(&config)
    };
    let output_clients = Clients::load(&own).await?;
    let clients = match &config.source_role {
        Some(role) => output_clients.assume_role(role).await?,
        None => output_clients.clone(),
    };
    let ctx = IngestContext::new(&config, settings, clients, output_clients, |k| {
        std::env::var(k).ok().filter(|v| !v.trim().is_empty())
    })?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handler(event, &ctx))).await
}

async fn handler(event: LambdaEvent<Value>, ctx: &IngestContext) -> Result<Value, Error> {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let mut left = Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
    // Lambda always sends a deadline in the future; a local runtime emulator may not send one.
    if left.is_zero() {
        tracing::warn!(
            deadline_ms = event.context.deadline,
            "the runtime sent no future deadline; assuming Lambda's longest timeout, 900 s"
        );
        left = Duration::from_secs(900);
    }
    let outcome = ingest::handle(event.payload, ctx, Instant::now() + left).await;
    Ok(ingest::lambda_response(&outcome)?)
}
