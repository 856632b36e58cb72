//! Lambda entry point for connection tests: API Gateway HTTP API (v2) or a function URL.

use lambda_http::{service_fn, Body, Error, Request, Response};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::connection::{self, TestSettings};
use s3connector::{config::Config, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let clients = Clients::load(&ClientSettings::from(&config)).await?;
    let settings = TestSettings::new(config.allowed_roles.clone());
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
    let reply = connection::handle_http(
        req.method().as_str(),
        content_type,
        req.body().as_ref(),
        clients,
        settings,
    )
    .await;
    Ok(Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .body(Body::Text(reply.body.to_string()))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3connector::aws::CredentialSource;
    use s3connector::connection::role_policy::RoleAllowList;

    async fn reply_to(event_file: &str) -> (u16, serde_json::Value) {
        let path = format!("{}/../../events/{event_file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("sample event exists");
        let req = lambda_http::request::from_str(&text).expect("an API Gateway v2 request");
        // Port 1 on loopback refuses connections at once: no AWS call can succeed, so
        // a valid body yields a Failed verdict (still HTTP 200) without any network.
        let clients = Clients::load(&ClientSettings {
            region: Some("us-east-1".into()),
            endpoint_url: Some("http://127.0.0.1:1".into()),
            credentials: CredentialSource::Static {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
            },
            assume_role: None,
        })
        .await
        .unwrap();
        let mut settings =
            TestSettings::new(RoleAllowList::parse("arn:aws:iam::*:role/s3connector-*").unwrap());
        settings.step_timeout = std::time::Duration::from_secs(2);
        let resp = handler(req, &clients, &settings).await.unwrap();
        let body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        };
        (resp.status().as_u16(), body)
    }

    #[tokio::test]
    async fn valid_apigw_v2_request_gets_200_with_a_verdict() {
        let (status, body) = reply_to("apigw-connection-test.json").await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "Failed");
        assert_eq!(body["steps"][0]["name"], "credentials");
        assert_eq!(body["steps"][0]["status"], "Failed");
        assert_eq!(body["steps"][1]["status"], "Skipped");
    }

    #[tokio::test]
    async fn invalid_bucket_in_apigw_v2_request_gets_400_naming_the_field() {
        let (status, body) = reply_to("apigw-connection-test-invalid.json").await;
        assert_eq!(status, 400);
        assert_eq!(body["field"], "bucket");
        assert!(body["rule"].as_str().unwrap().starts_with("must"));
    }
}
