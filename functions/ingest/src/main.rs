//! Lambda entry point for log ingestion: SQS (or direct S3/SNS/EventBridge) events in.

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use s3connector::{config::Config, ingest, telemetry};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    lambda_runtime::run(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let outcome = ingest::handle(event.payload);
    if !outcome.from_sqs {
        return Ok(serde_json::to_value(&outcome.counts)?);
    }
    let mut response = SqsBatchResponse::default();
    for id in outcome.failed_message_ids {
        response.add_failure(id);
    }
    Ok(serde_json::to_value(response)?)
}
