//! Deterministic sample logs in the formats AWS documents, for the demo, the
//! integration tests and the benchmarks. Every generator streams into a writer, so
//! the benchmarks can produce hundreds of megabytes without holding them in memory.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;

/// The account ID that sample logs belong to.
pub const ACCOUNT: &str = "123456789012";
/// The region sample logs come from.
pub const REGION: &str = "us-east-1";

/// A small deterministic generator (SplitMix64), so samples are identical on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One of `items`.
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }

    fn private_ip(&mut self) -> String {
        format!("10.0.{}.{}", self.below(16), 1 + self.below(250))
    }

    fn public_ip(&mut self) -> String {
        let nets = ["203.0.113", "198.51.100", "192.0.2"];
        format!("{}.{}", self.pick(&nets), 1 + self.below(250))
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }
}

/// Epoch seconds of 2026-11-23T10:00:00Z, the start of every sample's time range.
pub const START_EPOCH: u64 = 1_795_428_000;

fn iso(epoch: u64, micros: u64) -> String {
    let secs = epoch % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}.{micros:06}Z",
        s3connector::sink::s3::day_of(epoch as i64 * 1000),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Writes a CloudTrail log file (`{"Records":[...]}`) with `records` events.
pub fn cloudtrail(out: &mut impl Write, records: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let calls = [
        ("s3.amazonaws.com", "GetObject", true, "Data"),
        ("s3.amazonaws.com", "PutObject", false, "Data"),
        ("iam.amazonaws.com", "CreateAccessKey", false, "Management"),
        ("ec2.amazonaws.com", "DescribeInstances", true, "Management"),
        ("sts.amazonaws.com", "AssumeRole", true, "Management"),
        ("signin.amazonaws.com", "ConsoleLogin", false, "Management"),
        ("kms.amazonaws.com", "Decrypt", true, "Management"),
    ];
    out.write_all(b"{\"Records\":[")?;
    for i in 0..records {
        if i > 0 {
            out.write_all(b",")?;
        }
        let (source, name, read_only, category) = calls[rng.below(calls.len() as u64) as usize];
        let user = rng.pick(&["alice", "bob", "ci-deployer", "data-pipeline"]);
        let denied = rng.below(20) == 0;
        let error = if denied {
            r#","errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation""#
        } else {
            ""
        };
        let event_id = format!(
            "{}-{}-4{}-a{}-{}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(3),
            rng.hex(3),
            rng.hex(12)
        );
        write!(
            out,
            r#"{{"eventVersion":"1.10","userIdentity":{{"type":"AssumedRole","principalId":"AROA3EXAMPLEID:{user}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/Platform/{user}","accountId":"{ACCOUNT}","accessKeyId":"ASIA3EXAMPLE{}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA3EXAMPLEID","arn":"arn:aws:iam::{ACCOUNT}:role/Platform","accountId":"{ACCOUNT}","userName":"Platform"}},"attributes":{{"creationDate":"{}","mfaAuthenticated":"false"}}}}}},"eventTime":"{}","eventSource":"{source}","eventName":"{name}","awsRegion":"{REGION}","sourceIPAddress":"{}","userAgent":"aws-cli/2.22.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1","requestParameters":{{"bucketName":"example-data","key":"reports/2026/q{}.csv"}},"responseElements":null,"requestID":"{}","eventID":"{event_id}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":{},"recipientAccountId":"{ACCOUNT}","eventCategory":"{category}","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{source}"}}{error}}}"#,
            rng.hex(4).to_uppercase(),
            iso(START_EPOCH - 600, 0).replace(".000000", ""),
            iso(START_EPOCH + i as u64 % 3600, 0).replace(".000000", ""),
            rng.public_ip(),
            1 + rng.below(4),
            rng.hex(16).to_uppercase(),
            category == "Management",
        )?;
    }
    out.write_all(b"]}")
}

/// Writes a VPC Flow Logs file in the default (version 2) format, header line first.
pub fn vpc_flow(out: &mut impl Write, lines: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    out.write_all(b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")?;
    for i in 0..lines {
        let start = START_EPOCH + (i as u64 % 3600);
        if rng.below(50) == 0 {
            writeln!(
                out,
                "2 {ACCOUNT} eni-0a1b2c3d4e5f{:05x} - - - - - - - {start} {} - NODATA",
                rng.below(0xfffff),
                start + 60
            )?;
            continue;
        }
        let (src, dst) = if rng.below(2) == 0 {
            (rng.private_ip(), rng.public_ip())
        } else {
            (rng.public_ip(), rng.private_ip())
        };
        let proto = rng.pick(&["6", "6", "6", "17", "1"]);
        let dport = rng.pick(&["443", "80", "22", "53", "3306", "5432"]);
        let action = if rng.below(10) == 0 {
            "REJECT"
        } else {
            "ACCEPT"
        };
        let packets = 1 + rng.below(200);
        writeln!(
            out,
            "2 {ACCOUNT} eni-0a1b2c3d4e5f{:05x} {src} {dst} {} {dport} {proto} {packets} {} {start} {} {action} OK",
            rng.below(0xfffff),
            1024 + rng.below(60_000),
            packets * (40 + rng.below(1400)),
            start + 60
        )?;
    }
    Ok(())
}

/// The Parquet physical type AWS gives a flow log field ("Parquet data type" in the VPC
/// user guide's "Flow log records" table): INT_32, INT_64, else STRING.
fn flow_parquet_type(field: &str) -> &'static str {
    match field {
        "version" | "srcport" | "dstport" | "protocol" | "tcp-flags" | "traffic-path" => "INT32",
        "packets"
        | "bytes"
        | "start"
        | "end"
        | "packets-lost-no-route"
        | "packets-lost-blackhole"
        | "packets-lost-mtu-exceeded"
        | "packets-lost-ttl-expired" => "INT64",
        _ => "BYTE_ARRAY",
    }
}

/// The same flows as a text flow log file (header line first), written as VPC Flow Logs'
/// Parquet delivery writes them: one optional column per field in header order, named
/// with underscores (`account_id`), typed INT_32 / INT_64 / STRING as AWS documents, a
/// `-` written as null, GZIP pages, `rows_per_group` rows per row group.
///
/// Panics on a line whose field count differs from the header's or whose integer field
/// does not parse: it converts well-formed samples.
pub fn vpc_flow_parquet(text: &str, rows_per_group: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    vpc_flow_parquet_to(&mut buf, text.as_bytes(), rows_per_group).expect("convert");
    buf
}

/// [`vpc_flow_parquet`] streaming: reads the text file from `text` and writes the Parquet
/// file to `out`, holding one row group at a time.
pub fn vpc_flow_parquet_to(
    out: impl Write + Send,
    text: impl io::BufRead,
    rows_per_group: usize,
) -> io::Result<()> {
    use std::sync::Arc;

    use parquet::basic::Compression as Codec;
    use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let mut lines = text.lines();
    let header = lines.next().expect("a header line")?;
    let fields: Vec<&str> = header.split_whitespace().collect();
    let mut schema = String::from("message flow_log {\n");
    for f in &fields {
        let ty = flow_parquet_type(f);
        let annotation = if ty == "BYTE_ARRAY" { " (STRING)" } else { "" };
        schema.push_str(&format!(
            "  OPTIONAL {ty} {}{annotation};\n",
            f.replace('-', "_")
        ));
    }
    schema.push('}');
    let props = WriterProperties::builder()
        .set_compression(Codec::GZIP(Default::default()))
        .build();
    let mut w = SerializedFileWriter::new(
        out,
        Arc::new(parse_message_type(&schema).expect("flow log schema")),
        Arc::new(props),
    )
    .map_err(io::Error::other)?;
    let mut group: Vec<String> = Vec::with_capacity(rows_per_group.max(1));
    loop {
        group.clear();
        for line in lines.by_ref() {
            let line = line?;
            if !line.trim().is_empty() {
                group.push(line);
            }
            if group.len() == rows_per_group.max(1) {
                break;
            }
        }
        if group.is_empty() {
            break;
        }
        let rows: Vec<Vec<&str>> = group
            .iter()
            .map(|l| l.split_whitespace().collect())
            .collect();
        let mut rg = w.next_row_group().map_err(io::Error::other)?;
        let mut column = 0;
        while let Some(mut col) = rg.next_column().map_err(io::Error::other)? {
            let cells: Vec<Option<&str>> = rows
                .iter()
                .map(|r| Some(r[column]).filter(|v| *v != "-"))
                .collect();
            let defs: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
            let present = cells.iter().flatten();
            match flow_parquet_type(fields[column]) {
                "INT32" => {
                    let v: Vec<i32> = present.map(|c| c.parse().expect("INT_32")).collect();
                    col.typed::<Int32Type>().write_batch(&v, Some(&defs), None)
                }
                "INT64" => {
                    let v: Vec<i64> = present.map(|c| c.parse().expect("INT_64")).collect();
                    col.typed::<Int64Type>().write_batch(&v, Some(&defs), None)
                }
                _ => {
                    let v: Vec<ByteArray> = present.map(|c| ByteArray::from(*c)).collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, Some(&defs), None)
                }
            }
            .map_err(io::Error::other)?;
            col.close().map_err(io::Error::other)?;
            column += 1;
        }
        rg.close().map_err(io::Error::other)?;
    }
    w.close().map_err(io::Error::other)?;
    Ok(())
}

/// Writes an Application Load Balancer access log.
pub fn alb(out: &mut impl Write, lines: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    for i in 0..lines {
        let t = START_EPOCH + (i as u64 % 3600);
        let status = rng.pick(&["200", "200", "200", "301", "404", "500", "503"]);
        let path = rng.pick(&["/", "/api/items?id=3", "/login", "/static/app.js", "/admin"]);
        let method = rng.pick(&["GET", "GET", "POST", "PUT"]);
        let target = rng.private_ip();
        writeln!(
            out,
            r#"https {} app/my-alb/50dc6c495c0c9188 {}:{} {target}:80 0.000 0.{:03} 0.000 {status} {status} {} {} "{method} https://www.example.com:443{path} HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-{}-{}" "www.example.com" "arn:aws:acm:{REGION}:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012" 0 {} "forward" "-" "-" "{target}:80" "{status}" "-" "-" TID_{}"#,
            iso(t, rng.below(1_000_000)),
            rng.public_ip(),
            1024 + rng.below(60_000),
            rng.below(999),
            100 + rng.below(900),
            200 + rng.below(20_000),
            rng.hex(8),
            rng.hex(24),
            iso(t, 0),
            rng.hex(32),
        )?;
    }
    Ok(())
}

/// Compresses `data` with gzip.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Writes an Application Load Balancer connection log: mTLS handshakes, some with a
/// rejected client certificate.
pub fn alb_connections(out: &mut impl Write, lines: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    for i in 0..lines {
        let t = START_EPOCH + (i as u64 % 3600);
        let (latency, status) = match rng.below(8) {
            0 => ("-".to_string(), "Failed:ClientCertExpired"),
            1 => ("-".to_string(), "Failed:ClientCertUntrusted"),
            _ => (format!("0.{:03}", 1 + rng.below(120)), "Success"),
        };
        writeln!(
            out,
            r#"{} {} {} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 {latency} "CN=device-{},O=Example Corp" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z {:08X} {status} TID_{:016x}"#,
            iso(t, rng.below(1_000_000)),
            rng.public_ip(),
            1024 + rng.below(60_000),
            rng.below(500),
            rng.next_u64() as u32,
            rng.next_u64()
        )?;
    }
    Ok(())
}

/// A Firehose object of CloudWatch Logs subscription data: a control message, then
/// `batches` envelopes of `events` Lambda log lines, each envelope its own gzip member.
pub fn cloudwatch_firehose(batches: usize, events: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1795428000000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    let mut object = gzip(control.as_bytes());
    for b in 0..batches {
        let log_events: Vec<serde_json::Value> = (0..events)
            .map(|e| {
                let level = rng.pick(&["info", "info", "warn", "error"]);
                serde_json::json!({
                    "id": format!("{:056}", b * events + e),
                    "timestamp": START_EPOCH as i64 * 1000 + (b * events + e) as i64 * 250,
                    "message": format!(r#"{{"level":"{level}","msg":"order {} processed","ms":{}}}"#, rng.below(100_000), rng.below(900)),
                })
            })
            .collect();
        let envelope = serde_json::json!({
            "messageType": "DATA_MESSAGE",
            "owner": ACCOUNT,
            "logGroup": "/aws/lambda/checkout",
            "logStream": "2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef",
            "subscriptionFilters": ["to-s3"],
            "logEvents": log_events,
        });
        object.extend(gzip(envelope.to_string().as_bytes()));
    }
    object
}

/// A sample object: where it goes and what it holds.
#[derive(Debug, Clone)]
pub struct SampleObject {
    /// Object key, following the AWS delivery convention for its type.
    pub key: String,
    /// Object bytes (gzip where AWS delivers gzip).
    pub body: Vec<u8>,
    /// Content-Encoding to set on upload, if any.
    pub content_encoding: Option<&'static str>,
}

/// The demo's sample set: one small object per log type, at the keys AWS would use.
pub fn demo_objects() -> Vec<SampleObject> {
    let day = "2026/11/23";
    let mut ct = Vec::new();
    cloudtrail(&mut ct, 25, 1).expect("Vec write");
    let mut vpc = Vec::new();
    vpc_flow(&mut vpc, 200, 2).expect("Vec write");
    let mut lb = Vec::new();
    alb(&mut lb, 100, 3).expect("Vec write");
    let mut conn = Vec::new();
    alb_connections(&mut conn, 40, 4).expect("Vec write");
    vec![
        SampleObject {
            key: format!("AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{day}/{ACCOUNT}_CloudTrail_{REGION}_20261123T1000Z_Q9kDx2mP0aBc3dEf.json.gz"),
            body: gzip(&ct),
            content_encoding: None,
        },
        SampleObject {
            key: format!("AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/{day}/{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d4e5f67890_20261123T1000Z_5b2c1d0e.log.gz"),
            body: gzip(&vpc),
            content_encoding: None,
        },
        SampleObject {
            key: format!("AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{day}/{ACCOUNT}_elasticloadbalancing_{REGION}_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_2kfy8e4q.log.gz"),
            body: gzip(&lb),
            content_encoding: None,
        },
        SampleObject {
            key: format!("AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{day}/conn_log.{ACCOUNT}_elasticloadbalancing_{REGION}_app.my-alb.50dc6c495c0c9188_20261123T1000Z_198.51.100.7_7hq2m9zx.log.gz"),
            body: gzip(&conn),
            content_encoding: None,
        },
        SampleObject {
            // The same flows in VPC Flow Logs' Parquet file format, Hive-compatible prefixes
            // and hourly partitions: the events are those of the text file above.
            key: format!("AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region={REGION}/year=2026/month=11/day=23/hour=10/{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d4e5f67890_20261123T1000Z_7c3d2e1f.log.parquet"),
            body: vpc_flow_parquet(std::str::from_utf8(&vpc).expect("generated text"), 64),
            content_encoding: None,
        },
        SampleObject {
            // Firehose keys follow no AWS convention: the content says what this is.
            key: "firehose/2026/11/23/10/cwl-to-s3-1-2026-11-23-10-00-00-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c".to_string(),
            body: cloudwatch_firehose(3, 10, 5),
            content_encoding: None,
        },
        SampleObject {
            // Truncated gzip: the demo shows a permanent reject with its reason.
            key: format!("AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/{day}/{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d4e5f67890_20261123T1005Z_corrupt0.log.gz"),
            body: gzip(&vpc)[..40].to_vec(),
            content_encoding: None,
        },
        SampleObject {
            key: "uploads/team notes/quarterly report+draft (2026).txt".to_string(),
            body: b"free text that arrives with spaces and a plus sign in its key\n".to_vec(),
            content_encoding: None,
        },
    ]
}

/// Sensitive values planted in demo and test data, by the detector that should find them.
pub const PLANTED: [(&str, &str); 4] = [
    ("email", "alice.smith@example.org"),
    ("credit_card", "4539 1488 0343 6467"),
    ("aws_access_key_id", "AKIAZ7QW3RTY5UIOP2AS"),
    ("us_ssn", "536-22-1234"),
];

/// A log with the [`PLANTED`] values on lines 1 to 4, in that order, among clean lines.
pub fn planted_text() -> String {
    let [email, card, key, ssn] = PLANTED.map(|(_, v)| v);
    format!(
        "2026-11-23T10:00:00Z INFO signup user=alice email={email}\n\
         2026-11-23T10:00:01Z DEBUG payment card {card} accepted order=88231 build=1.4.22\n\
         aws_access_key_id = {key}\n\
         ssn: {ssn}\n\
         2026-11-23T10:00:02Z INFO request id 3f2b8c1e-9d4a-4b7e-8a61-2c5d0f9e7a13 took 12 ms\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_formats_known_instant() {
        assert_eq!(iso(START_EPOCH, 0), "2026-11-23T10:00:00.000000Z");
    }

    #[test]
    fn cloudtrail_sample_is_a_records_document() {
        let mut buf = Vec::new();
        cloudtrail(&mut buf, 5, 9).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["Records"].as_array().unwrap().len(), 5);
        assert_eq!(v["Records"][0]["eventTime"].as_str().unwrap().len(), 20);
    }

    #[test]
    fn generators_are_deterministic() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        vpc_flow(&mut a, 50, 7).unwrap();
        vpc_flow(&mut b, 50, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(String::from_utf8(a).unwrap().lines().count(), 51);
    }

    #[test]
    fn alb_lines_have_all_documented_fields() {
        let mut buf = Vec::new();
        alb(&mut buf, 3, 1).unwrap();
        for line in String::from_utf8(buf).unwrap().lines() {
            assert!(line.starts_with("https 2026-11-23T"), "{line}");
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
            assert!(line.ends_with(char::is_alphanumeric), "{line}");
        }
    }

    /// Every record a generator writes parses with the library, with no record errors.
    fn parses_cleanly(log_type: s3connector::logs::LogType, data: &[u8]) -> u64 {
        let object = s3connector::object::open(
            std::io::Cursor::new(data.to_vec()),
            None,
            None,
            "sample",
            s3connector::object::BombLimits::default(),
        )
        .unwrap();
        let mut records = 0;
        let summary = s3connector::logs::parse_stream(log_type, object.reader, 0, &mut |item| {
            item.expect("generated records parse");
            records += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(summary.malformed, 0);
        records
    }

    /// Every event the demo's logs produce is valid OCSF 1.3.0 (the demo ingests these).
    #[test]
    fn every_demo_log_normalizes_to_valid_ocsf() {
        use s3connector::normalize::SourceObject;
        use s3connector::pipeline::{self, PipelineOptions, TypeChoice, TypeOverrides};
        let mut events = 0;
        for object in demo_objects() {
            let source = SourceObject {
                bucket: "demo-logs".into(),
                key: object.key.clone(),
                etag: Some("\"0123456789abcdef0123456789abcdef\"".into()),
                version_id: None,
            };
            let Ok(opened) = s3connector::object::open(
                std::io::Cursor::new(object.body.clone()),
                object.content_encoding,
                None,
                &object.key,
                s3connector::object::BombLimits::default(),
            ) else {
                continue; // the demo's corrupt object, rejected before parsing
            };
            let mut reader = opened.reader;
            let choice =
                pipeline::choose_type(None, &TypeOverrides::default(), "demo-logs", &object.key);
            if matches!(choice, TypeChoice::Skip(_)) {
                continue;
            }
            let Ok(Some(log_type)) = pipeline::resolve_type(&choice, &mut reader) else {
                continue;
            };
            let opts = PipelineOptions {
                fallback_time_ms: Some(1_795_428_000_000),
                ..PipelineOptions::default()
            };
            let _ = pipeline::process(&mut reader, log_type, &source, 0, &opts, &mut |chunk| {
                let s3connector::sink::Events::Ndjson(records) = &chunk.events else {
                    panic!("the default pipeline options give NDJSON");
                };
                for r in records {
                    crate::ocsf::assert_valid_ocsf(&serde_json::from_str(&r.json).unwrap());
                    events += 1;
                }
                std::ops::ControlFlow::Continue(())
            });
        }
        assert!(events > 300, "{events}");
    }

    #[test]
    fn alb_connection_and_cloudwatch_samples_parse_record_by_record() {
        use s3connector::logs::LogType;
        let mut conn = Vec::new();
        alb_connections(&mut conn, 20, 4).unwrap();
        assert_eq!(parses_cleanly(LogType::AlbConnection, &conn), 20);
        let firehose = cloudwatch_firehose(3, 10, 5);
        assert_eq!(parses_cleanly(LogType::CloudWatchLogs, &firehose), 30);
    }
}
