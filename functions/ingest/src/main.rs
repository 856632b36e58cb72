//! Lambda entry point for log ingestion: SQS (or direct S3/SNS/EventBridge) events in.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::deadline::deadline_from_epoch_ms;
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
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let outcome = ingest::handle(event.payload, ctx, deadline).await;
    Ok(ingest::lambda_response(&outcome)?)
}
