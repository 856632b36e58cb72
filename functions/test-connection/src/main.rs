//! Lambda entry point for connection tests: API Gateway HTTP API (v2) or a function URL.

use lambda_http::{service_fn, Body, Error, Request, Response};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::{config::Config, connection, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let clients = Clients::load(&ClientSettings::from(&config)).await?;
    lambda_http::run(service_fn(|req: Request| {
        let clients = clients.clone();
        async move { handler(req, &clients).await }
    }))
    .await
}

async fn handler(req: Request, clients: &Clients) -> Result<Response<Body>, Error> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let reply = connection::handle_http(
        req.method().as_str(),
        content_type,
        req.body().as_ref(),
        clients,
    )
    .await;
    Ok(Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .body(Body::Text(reply.body.to_string()))?)
}
