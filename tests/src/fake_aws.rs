//! A loopback HTTP/1.1 server that plays AWS for faults the emulator cannot produce:
//! calls that are never answered, bodies that never arrive, answers that come slowly.
//!
//! The real SDK talks to it through `AWS_ENDPOINT_URL`-style endpoint override (path-style
//! S3), so the SDK's own connection handling, timeouts and parsing are exercised. Each call
//! is routed by a function of the request to a [`Reply`]. Canned answers are the documented
//! AWS wire formats (STS query XML, S3 REST XML).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// One request as the fake server read it.
#[derive(Debug, Clone)]
pub struct FakeCall {
    /// `GET`, `POST`...
    pub method: String,
    /// Path and query, e.g. `/bucket?list-type=2`.
    pub path: String,
    /// The `x-amz-target` header (JSON protocols such as SQS), if any.
    pub target: Option<String>,
    /// The body as text (STS query parameters, SQS JSON).
    pub body: String,
}

impl FakeCall {
    /// The AWS operation this call is, by its protocol's markers: STS's `Action=` query
    /// parameter, SQS's `x-amz-target`, and for path-style S3 the method, key and
    /// subresource. `"Unknown"` for anything else.
    pub fn operation(&self) -> &'static str {
        if let Some(action) = self.body.split('&').find_map(|p| p.strip_prefix("Action=")) {
            return match action {
                "GetCallerIdentity" => "GetCallerIdentity",
                "AssumeRole" => "AssumeRole",
                _ => "Unknown",
            };
        }
        if let Some(target) = &self.target {
            return match target.as_str() {
                "AmazonSQS.GetQueueAttributes" => "GetQueueAttributes",
                _ => "Unknown",
            };
        }
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let has_key = path.trim_start_matches('/').contains('/')
            && !path.trim_start_matches('/').ends_with('/');
        let sub = |name: &str| {
            query
                .split('&')
                .any(|p| p == name || p.starts_with(&format!("{name}=")))
        };
        match (self.method.as_str(), has_key) {
            ("POST", true) if sub("uploads") => "CreateMultipartUpload",
            ("PUT", true) if sub("uploadId") => "UploadPart",
            ("POST", true) if sub("uploadId") => "CompleteMultipartUpload",
            ("DELETE", true) if sub("uploadId") => "AbortMultipartUpload",
            ("HEAD", false) => "HeadBucket",
            ("HEAD", true) => "HeadObject",
            ("GET", true) => "GetObject",
            ("PUT", true) => "PutObject",
            ("DELETE", true) => "DeleteObject",
            ("GET", false) if path == "/" => "ListBuckets",
            ("GET", false) if sub("list-type") => "ListObjectsV2",
            ("GET", false) if sub("location") => "GetBucketLocation",
            ("GET", false) if sub("publicAccessBlock") => "GetPublicAccessBlock",
            ("GET", false) if sub("encryption") => "GetBucketEncryption",
            ("GET", false) if sub("versioning") => "GetBucketVersioning",
            ("GET", false) if sub("notification") => "GetBucketNotificationConfiguration",
            _ => "Unknown",
        }
    }
}

/// Status, headers and body of an answer.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

/// What the server does with a call.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer at once.
    Now(Answer),
    /// Answer after a pause.
    After(Duration, Answer),
    /// Read the request and never answer (the connection stays open until the test ends).
    Never,
    /// Send the status line and headers announcing a body, then never send the body.
    HeadersOnly(u16, Vec<(&'static str, String)>, usize),
}

/// A running fake server; stops accepting when dropped.
pub struct FakeAws {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl FakeAws {
    /// Starts the server on a free loopback port; `route` decides every reply.
    pub fn start(route: impl Fn(&FakeCall) -> Reply + Send + Sync + 'static) -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let stop = Arc::new(AtomicBool::new(false));
        let route = Arc::new(route);
        let stopping = stop.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let route = route.clone();
                let stopping = stopping.clone();
                thread::spawn(move || serve(stream, &*route, &stopping));
            }
        });
        FakeAws { url, stop }
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(stream: TcpStream, route: &dyn Fn(&FakeCall) -> Reply, stop: &AtomicBool) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    // Connections are kept alive: the SDK sends call after call on one.
    while let Some(call) = read_call(&mut reader) {
        let reply = route(&call);
        let (status, headers, body) = match reply {
            Reply::Now(a) => a,
            Reply::After(pause, a) => {
                thread::sleep(pause);
                a
            }
            Reply::Never => {
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Reply::HeadersOnly(status, headers, length) => {
                let _ = writer.write_all(head(status, &headers, length).as_bytes());
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
        };
        let mut out = head(status, &headers, body.len()).into_bytes();
        out.extend_from_slice(body.as_bytes());
        if writer.write_all(&out).is_err() {
            return;
        }
    }
}

fn head(status: u16, headers: &[(&'static str, String)], length: usize) -> String {
    let mut text = format!("HTTP/1.1 {status} Fake\r\ncontent-length: {length}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text
}

fn read_call(reader: &mut BufReader<TcpStream>) -> Option<FakeCall> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let (mut length, mut chunked, mut target) = (0usize, false, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "x-amz-target" => target = Some(value.to_string()),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(FakeCall {
        method,
        path,
        target,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// An STS error in the query protocol's XML.
pub fn sts_error(status: u16, code: &str, message: &str) -> Answer {
    (
        status,
        vec![("content-type", "text/xml".into())],
        format!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"#
        ),
    )
}

/// An S3 error in the REST XML form.
pub fn s3_error(status: u16, code: &str, message: &str) -> Answer {
    (
        status,
        vec![("content-type", "application/xml".into())],
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>EXAMPLEHostId=</HostId></Error>"#
        ),
    )
}

/// `GetCallerIdentity` for `arn:aws:iam::123456789012:user/alice`.
pub fn caller_identity() -> Answer {
    (200, vec![("content-type", "text/xml".into())], r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#.into())
}

/// `AssumeRole` credentials valid for an hour from 2099.
pub fn assumed_role() -> Answer {
    (200, vec![("content-type", "text/xml".into())], r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/s3connector-reader/s3connector-test-connection</Arn><AssumedRoleId>AROAEXAMPLE:s3connector-test-connection</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLEASSUMED</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey><SessionToken>FwoGZXIvYXdzEXAMPLETOKEN</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></AssumeRoleResponse>"#.into())
}

/// `HeadBucket` success in us-east-1.
pub fn head_bucket_ok() -> Answer {
    (
        200,
        vec![("x-amz-bucket-region", "us-east-1".into())],
        String::new(),
    )
}

/// `ListObjectsV2` with one object, `logs/a.log.gz`.
pub fn one_object_listing() -> Answer {
    (200, vec![("content-type", "application/xml".into())], r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>example-logs</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>logs/a.log.gz</Key><LastModified>2026-11-23T10:00:00.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#.into())
}

/// A plain `200 OK` with an empty body (HeadObject, PutObject, DeleteObject answer so).
pub fn empty_ok() -> Answer {
    (200, vec![], String::new())
}

/// Bucket that [`healthy_account`] serves.
pub const HEALTHY_BUCKET: &str = "example-logs";
/// Queue ARN that [`healthy_account`] serves (its URL path is `/123456789012/ingest`).
pub const HEALTHY_QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:ingest";

/// What an account where every connection-test step passes answers to each call: bucket
/// [`HEALTHY_BUCKET`] with one object, public access blocked, SSE-S3, versioning on,
/// notifying [`HEALTHY_QUEUE_ARN`], whose policy lets the bucket send.
pub fn healthy_account(call: &FakeCall) -> Answer {
    let xml = |body: &str| -> Answer {
        (
            200,
            vec![("content-type", "application/xml".into())],
            format!(r#"<?xml version="1.0" encoding="UTF-8"?>{body}"#),
        )
    };
    match call.operation() {
        "GetCallerIdentity" => caller_identity(),
        "AssumeRole" => assumed_role(),
        "HeadBucket" => head_bucket_ok(),
        "ListObjectsV2" => one_object_listing(),
        "HeadObject" => (
            200,
            vec![("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".into())],
            String::new(),
        ),
        "GetObject" | "PutObject" | "DeleteObject"
            if call.path.contains("s3connector-connection-test-") =>
        {
            // The beacon: the write test compares what it reads back with what it wrote,
            // which this server does not keep; answer the put and delete only.
            empty_ok()
        }
        "GetObject" => (
            206,
            vec![("content-range", "bytes 0-4/5".into())],
            "hello".into(),
        ),
        "GetPublicAccessBlock" => xml(
            r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#,
        ),
        "GetBucketEncryption" => xml(
            r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#,
        ),
        "GetBucketVersioning" => xml(
            r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#,
        ),
        "GetBucketNotificationConfiguration" => xml(&format!(
            r#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><QueueConfiguration><Id>logs</Id><Queue>{HEALTHY_QUEUE_ARN}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>"#
        )),
        "GetQueueAttributes" => {
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": HEALTHY_QUEUE_ARN,
                    "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{HEALTHY_BUCKET}")}}
                }]
            });
            (
                200,
                vec![("content-type", "application/x-amz-json-1.0".into())],
                serde_json::json!({"Attributes": {"QueueArn": HEALTHY_QUEUE_ARN, "Policy": policy.to_string()}}).to_string(),
            )
        }
        other => panic!(
            "the fake account does not serve {other}: {} {}",
            call.method, call.path
        ),
    }
}

/// S3 answers for a world of two buckets, one whose objects the role may not list. The
/// emulator does not enforce IAM, so the denial comes from this loopback fake, through the
/// real SDK. Buckets: `locked-data` (every call denied) and `open-data` (empty; its
/// metadata calls denied).
pub fn denying_s3(call: &FakeCall) -> Reply {
    let xml = |status: u16, body: &str| {
        Reply::Now((
            status,
            vec![("content-type", "application/xml".to_string())],
            body.to_string(),
        ))
    };
    let denied = || {
        xml(
            403,
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        )
    };
    let path = call.path.as_str();
    if call.method == "GET" && (path == "/" || path.starts_with("/?")) {
        return xml(200, "<ListAllMyBucketsResult><Buckets>\
            <Bucket><Name>locked-data</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>\
            <Bucket><Name>open-data</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>\
            </Buckets><Owner><ID>o</ID></Owner></ListAllMyBucketsResult>");
    }
    if path.starts_with("/open-data") && path.contains("list-type=2") {
        return xml(200, "<ListBucketResult><Name>open-data</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>");
    }
    denied()
}
