//! Lambda entry point for scans: the EventBridge schedule or a manual invoke.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::{config::Config, scan, telemetry};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let clients = Clients::load(&ClientSettings::from(&config)).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let clients = clients.clone();
        async move { handler(event.payload, &clients).await }
    }))
    .await
}

async fn handler(event: Value, clients: &Clients) -> Result<Value, Error> {
    let trigger = scan::classify(event)?;
    let buckets = scan::list_buckets(&clients.s3()).await?;
    Ok(
        json!({ "trigger": format!("{trigger:?}"), "bucket_count": buckets.len(), "buckets": buckets }),
    )
}
