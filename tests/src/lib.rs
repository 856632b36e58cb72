//! Test harness and sample data: a local AWS emulator (moto server) reached with the real AWS SDK.
//!
//! Each [`Emulator`] uses the endpoint in `S3CONNECTOR_TEST_ENDPOINT` when it is set
//! (the Makefile starts one server for the whole run), and otherwise starts a private
//! moto server on a free loopback port, killed when the guard drops.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod fake_aws;
pub mod fault_proxy;
pub mod ingestion;
pub mod inventory_reports;
pub mod ocsf;
pub mod samples;
pub mod scanning;

use s3connector::aws::{ClientSettings, Clients, CredentialSource};

/// Region every test resource lives in unless a test says otherwise.
pub const REGION: &str = "us-east-1";

/// A running emulator and clients pointed at it.
pub struct Emulator {
    /// Base URL, e.g. `http://127.0.0.1:5123`.
    pub endpoint: String,
    child: Option<Child>,
}

impl Emulator {
    /// Uses the shared emulator if one is configured, or starts a private one.
    pub fn start() -> Emulator {
        if let Ok(url) = std::env::var("S3CONNECTOR_TEST_ENDPOINT") {
            if !url.is_empty() {
                return Emulator {
                    endpoint: url,
                    child: None,
                };
            }
        }
        Self::start_private()
    }

    /// Starts an emulator of its own, separate from the shared one: a second AWS
    /// "account" whose resources the first one's clients cannot reach.
    pub fn start_private() -> Emulator {
        let port = free_port();
        let server = moto_server_path();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {} ({e}); run `make venv` or set S3CONNECTOR_TEST_ENDPOINT",
                    server.display()
                )
            });
        let emulator = Emulator {
            endpoint: format!("http://127.0.0.1:{port}"),
            child: Some(child),
        };
        wait_until_listening(port, Duration::from_secs(30));
        emulator
    }

    /// Settings for clients that talk to this emulator with dummy static keys.
    pub fn settings(&self) -> ClientSettings {
        ClientSettings {
            region: Some(REGION.to_string()),
            endpoint_url: Some(self.endpoint.clone()),
            credentials: CredentialSource::Static {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            },
            assume_role: None,
        }
    }

    /// Clients pointed at this emulator.
    pub async fn clients(&self) -> Clients {
        Clients::load(&self.settings())
            .await
            .expect("emulator clients load")
    }

    /// Clients with this emulator's settings that talk to `endpoint` instead: a fault
    /// proxy in front of it ([`fault_proxy::FaultProxy::url`]).
    pub async fn clients_via(&self, endpoint: &str) -> Clients {
        let settings = ClientSettings {
            endpoint_url: Some(endpoint.to_string()),
            ..self.settings()
        };
        Clients::load(&settings)
            .await
            .expect("emulator clients load")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A name no other test run uses, valid for buckets and queues.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn moto_server_path() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server")
}

fn wait_until_listening(port: u16, limit: Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto server did not listen on port {port} within {limit:?}");
}

/// Creates an SQS queue and returns its URL and ARN.
pub async fn create_queue(clients: &Clients, name: &str) -> Result<(String, String), String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = clients.sqs();
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| format!("create queue {name}: {e:?}"))?
        .queue_url
        .ok_or("CreateQueue returned no URL")?;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| format!("queue attributes of {name}: {e:?}"))?;
    let arn = attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or("GetQueueAttributes returned no QueueArn")?;
    Ok((url, arn))
}

/// Makes `bucket` send every ObjectCreated notification to the queue `queue_arn`.
pub async fn notify_queue(clients: &Clients, bucket: &str, queue_arn: &str) -> Result<(), String> {
    use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
    let queue = QueueConfiguration::builder()
        .queue_arn(queue_arn)
        .events(Event::S3ObjectCreated)
        .build()
        .map_err(|e| e.to_string())?;
    clients
        .s3()
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("notification configuration of {bucket}: {e:?}"))?;
    Ok(())
}

/// Receives messages from `queue_url` until `want` ObjectCreated notifications arrived
/// (or 30 s passed) and returns them as the SQS event Lambda would deliver.
pub async fn receive_as_sqs_event(
    clients: &Clients,
    queue_url: &str,
    queue_arn: &str,
    want: usize,
) -> Result<serde_json::Value, String> {
    let sqs = clients.sqs();
    let mut records = Vec::new();
    let mut created = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while created < want && Instant::now() < deadline {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| format!("receive from {queue_url}: {e:?}"))?;
        for m in received.messages() {
            let body = m.body().unwrap_or_default();
            created += usize::from(body.contains("ObjectCreated"));
            records.push(serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": clients.region(),
            }));
        }
    }
    if created < want {
        return Err(format!(
            "only {created} of {want} notifications arrived on {queue_url}"
        ));
    }
    Ok(serde_json::json!({ "Records": records }))
}
