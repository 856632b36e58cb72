//! Lambda entry point for connection tests: API Gateway HTTP API (v2) or a function URL.

use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::connection::{self, HttpRequest, TestSettings, Trust};
use s3connector::{config::Config, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let clients = Clients::load(&ClientSettings::from(&config)).await?;
    let settings = TestSettings::new(Trust::Endpoint(config.connection_trust.clone()));
    lambda_http::run(service_fn(|req: Request| {
        let (clients, settings) = (clients.clone(), settings.clone());
        async move { handler(req, &clients, &settings).await }
    }))
    .await
}

async fn handler(
    req: Request,
    clients: &Clients,
    settings: &TestSettings,
) -> Result<Response<Body>, Error> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.as_deref(),
        _ => None,
    };
    let request = HttpRequest {
        method: req.method().as_str(),
        path: req.raw_http_path(),
        stage,
        content_type,
        body: req.body().as_ref(),
    };
    let reply = connection::handle_http(request, clients, settings).await;
    Ok(Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .body(Body::Text(reply.body.to_string()))?)
}

#[cfg(test)]
mod tests;
