//! Drives `make demo`: `demo seed <dir>` prepares the emulator and writes the ingest
//! event from real S3 notifications; `demo summary <dir>` reads what the functions
//! returned and logged, prints a readable summary and fails if anything is off.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::inventory_reports::{csv_row, put_csv_report};
use integration_tests::{create_queue, notify_queue, receive_as_sqs_event, samples};
use s3connector::aws::{ClientSettings, Clients};
use s3connector::config::Config;
use serde_json::{json, Value};

const LOG_BUCKET: &str = "s3connector-demo-logs";
const OUTPUT_BUCKET: &str = "s3connector-demo-output";
const QUEUE: &str = "s3connector-demo-ingest";
const DATA_BUCKET: &str = "s3connector-demo-data";
const SCAN_QUEUE: &str = "s3connector-demo-scan";
/// Where the data bucket's S3 Inventory reports are delivered.
const INVENTORY_BUCKET: &str = "s3connector-demo-inventory";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["seed", dir] => seed(Path::new(dir)).await,
        ["planted", file] => {
            std::fs::write(file, samples::planted_text()).map_err(|e| e.to_string())
        }
        ["planted-csv", file] => planted_csv(Path::new(file)),
        ["planted-eml", file] => planted_eml(Path::new(file)),
        ["vpc-log", file] => std::fs::File::create(file)
            .and_then(|mut f| samples::vpc_flow(&mut f, 5_000, 7))
            .map_err(|e| format!("{file}: {e}")),
        ["summary", dir] => summary(Path::new(dir)).await,
        ["next-scan-task", file] => next_scan_task(Path::new(file)).await,
        _ => Err(
            "usage: demo seed <dir> | demo planted <file> | demo planted-csv <file.csv.gz> | demo planted-eml <file.eml> | demo vpc-log <file> | demo next-scan-task <file> | demo summary <dir>"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn seed(dir: &Path) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let clients = Clients::load(&ClientSettings::from(&config))
        .await
        .map_err(|e| e.to_string())?;
    let s3 = clients.s3();
    for bucket in [LOG_BUCKET, OUTPUT_BUCKET] {
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| format!("create bucket {bucket}: {e:?}"))?;
    }
    let (queue_url, queue_arn) = create_queue(&clients, QUEUE).await?;
    notify_queue(&clients, LOG_BUCKET, &queue_arn).await?;
    seed_scan(&clients, dir).await?;
    eprintln!("demo: bucket {LOG_BUCKET} notifies queue {QUEUE} of every new object");

    let objects = samples::demo_objects();
    for o in &objects {
        s3.put_object()
            .bucket(LOG_BUCKET)
            .key(&o.key)
            .set_content_encoding(o.content_encoding.map(str::to_string))
            .body(ByteStream::from(o.body.clone()))
            .send()
            .await
            .map_err(|e| format!("put {}: {e:?}", o.key))?;
        eprintln!(
            "demo: uploaded s3://{LOG_BUCKET}/{} ({} bytes)",
            o.key,
            o.body.len()
        );
    }

    let event = receive_as_sqs_event(&clients, &queue_url, &queue_arn, objects.len()).await?;
    let messages = event["Records"].as_array().map_or(0, Vec::len);
    write_json(&dir.join("ingest-event.json"), &event)?;
    write_json(
        &dir.join("expected.json"),
        &json!({
            "keys": objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
            "messages": messages,
        }),
    )?;
    eprintln!(
        "demo: {} messages received from {QUEUE}, saved as the ingest event",
        messages
    );
    Ok(())
}

/// A bucket with planted sensitive values (text, CSV, NDJSON, gzip) and a clean file, and
/// the scan queue; the queue URL goes to `scan.env` for the function's environment.
async fn seed_scan(clients: &Clients, dir: &Path) -> Result<(), String> {
    let s3 = clients.s3();
    s3.create_bucket()
        .bucket(DATA_BUCKET)
        .send()
        .await
        .map_err(|e| format!("create bucket {DATA_BUCKET}: {e:?}"))?;
    let [email, card, key, _] = samples::PLANTED.map(|(_, v)| v);
    let objects: Vec<(&str, Vec<u8>)> = vec![
        ("notes/planted.log", samples::planted_text().into_bytes()),
        (
            "exports/customers.csv",
            format!("id,name,card\n1,Ann,{card}\n2,Bob,none\n").into_bytes(),
        ),
        (
            "events/signups.ndjson",
            format!("{{\"event\":\"signup\",\"email\":\"{email}\"}}\n").into_bytes(),
        ),
        (
            "logs/app.log.gz",
            samples::gzip(format!("boot ok\naws_access_key_id = {key}\n").as_bytes()),
        ),
        ("docs/readme.txt", b"Nothing sensitive here.\n".to_vec()),
    ];
    let mut inventory_rows = String::new();
    for (k, body) in objects {
        let size = body.len() as u64;
        let put = s3
            .put_object()
            .bucket(DATA_BUCKET)
            .key(k)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| format!("put {k}: {e:?}"))?;
        inventory_rows.push_str(&csv_row(DATA_BUCKET, k, size, put.e_tag().unwrap_or("")));
    }
    seed_scan_sources(clients, &inventory_rows).await?;
    let (scan_queue_url, _) = create_queue(clients, SCAN_QUEUE).await?;
    std::fs::write(
        dir.join("scan.env"),
        format!("S3CONNECTOR_SCAN_QUEUE_URL={scan_queue_url}\n"),
    )
    .map_err(|e| e.to_string())?;
    eprintln!("demo: bucket {DATA_BUCKET} holds planted values; scan tasks go to {SCAN_QUEUE}");
    Ok(())
}

/// Takes one task from the scan queue as the SQS event Lambda would deliver (batch size 1)
/// and acknowledges it; fails with "empty" when the queue has none.
async fn next_scan_task(file: &Path) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let clients = Clients::load(&ClientSettings::from(&config))
        .await
        .map_err(|e| e.to_string())?;
    let sqs = clients.sqs();
    let url = std::env::var("S3CONNECTOR_SCAN_QUEUE_URL").map_err(|_| "no scan queue URL")?;
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(1)
        .wait_time_seconds(1)
        .send()
        .await
        .map_err(|e| format!("receive from {url}: {e:?}"))?;
    let Some(m) = got.messages().first() else {
        return Err("empty".into());
    };
    let event = json!({"Records": [{
        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
        "body": m.body().unwrap_or_default(), "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {}, "eventSource": "aws:sqs",
        "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{SCAN_QUEUE}"),
        "awsRegion": "us-east-1"}]});
    write_json(&file.to_path_buf(), &event)?;
    sqs.delete_message()
        .queue_url(&url)
        .set_receipt_handle(m.receipt_handle().map(str::to_string))
        .send()
        .await
        .map_err(|e| format!("delete from {url}: {e:?}"))?;
    Ok(())
}

/// What the scan reads besides the objects: the data bucket's S3 Inventory report (the
/// scan config names it, so the bucket is enumerated from it instead of listed), its
/// `openmetadata.json` container, and the account's Block Public Access (two of four
/// settings on, so the posture combines account and bucket settings).
async fn seed_scan_sources(clients: &Clients, inventory_rows: &str) -> Result<(), String> {
    let s3 = clients.s3();
    s3.create_bucket()
        .bucket(INVENTORY_BUCKET)
        .send()
        .await
        .map_err(|e| format!("create bucket {INVENTORY_BUCKET}: {e:?}"))?;
    let created_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as i64;
    put_csv_report(
        &s3,
        INVENTORY_BUCKET,
        &format!("{DATA_BUCKET}/daily/"),
        DATA_BUCKET,
        "2026-12-01T00-00Z",
        created_ms,
        &[inventory_rows.to_string()],
    )
    .await;
    s3.put_object()
        .bucket(DATA_BUCKET)
        .key("openmetadata.json")
        .body(ByteStream::from_static(
            br#"{"entries": [{"dataPath": "exports", "structureFormat": "csv", "separator": ","}]}"#,
        ))
        .send()
        .await
        .map_err(|e| format!("put openmetadata.json: {e:?}"))?;
    let account = clients
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("get caller identity: {e:?}"))?
        .account()
        .unwrap_or("123456789012")
        .to_string();
    clients
        .s3control_in("us-east-1")
        .put_public_access_block()
        .account_id(&account)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("put the account's Block Public Access: {e:?}"))?;
    eprintln!("demo: {DATA_BUCKET} has an S3 Inventory report in {INVENTORY_BUCKET} and an openmetadata.json; account {account} blocks public ACLs");
    Ok(())
}

/// Prints where the scan's reports are and its top findings; checks every planted value
/// was found and none appears unmasked.
async fn scan_summary(dir: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let planned = read_json(&dir.join("scan.json"))?;
    let scan_id = planned["scan_id"].as_str().unwrap_or("?").to_string();
    println!(
        "scan             planned {scan_id}: {} buckets, {} units -> {}",
        planned["buckets"],
        planned["units"],
        planned["plan"].as_str().unwrap_or("?")
    );
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let clients = Clients::load(&ClientSettings::from(&config))
        .await
        .map_err(|e| e.to_string())?;
    let key = format!("scans/{scan_id}/report.json");
    let out = clients
        .s3()
        .get_object()
        .bucket(OUTPUT_BUCKET)
        .key(&key)
        .send()
        .await
        .map_err(|e| format!("the scan wrote no report at s3://{OUTPUT_BUCKET}/{key}: {e:?}"))?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_vec();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let report: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    println!("{:<16} reports: s3://{OUTPUT_BUCKET}/scans/{scan_id}/", "");
    let mut found = Vec::new();
    for b in report["buckets"].as_array().into_iter().flatten() {
        let t = &b["totals"];
        println!(
            "{:<16} {:<28} {:<8} {} objects, {} classified, {} skipped, {} findings",
            "",
            b["name"].as_str().unwrap_or("?"),
            b["status"].as_str().unwrap_or("?"),
            t["objects_seen"],
            t["objects_classified"],
            t["objects_skipped"],
            t["findings"]
        );
        let m = &b["metadata"];
        let enumeration = match b["enumeration"]["source"].as_str() {
            Some("inventory") => format!(
                "S3 Inventory {}",
                b["enumeration"]["manifest"].as_str().unwrap_or("?")
            ),
            _ => "ListObjectsV2".to_string(),
        };
        println!(
            "{:<16}   enumerated by {enumeration}; {} objects, {} bytes (from {})",
            "",
            m["object_count"],
            m["size_bytes"],
            m["size_source"].as_str().unwrap_or("?")
        );
        for c in b["containers"].as_array().into_iter().flatten() {
            let columns: Vec<String> = c["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{} {}",
                        c["name"].as_str().unwrap_or("?"),
                        c["data_type"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            println!(
                "{:<16}   container {} ({}): {}",
                "",
                c["data_path"].as_str().unwrap_or("?"),
                c["structure_format"].as_str().unwrap_or("?"),
                columns.join(", ")
            );
        }
        for w in b["warnings"].as_array().into_iter().flatten() {
            println!(
                "{:<16}   posture {}: {}",
                "",
                w["code"].as_str().unwrap_or("?"),
                w["message"].as_str().unwrap_or("?")
            );
        }
        if b["name"] == DATA_BUCKET && b["enumeration"]["source"] != "inventory" {
            problems.push(format!(
                "the scan listed {DATA_BUCKET} instead of reading its inventory: {}",
                b["errors"]
            ));
        }
        if b["name"] == DATA_BUCKET && b["containers"].as_array().is_none_or(|c| c.is_empty()) {
            problems.push("the scan report shows no openmetadata.json container".into());
        }
        // Version 3 (unit report files) lists its first findings only.
        let objects = b["objects"].as_array().or(b["first_findings"].as_array());
        for o in objects.into_iter().flatten() {
            for f in o["findings"].as_array().into_iter().flatten() {
                let detector = f["detector"].as_str().unwrap_or("?").to_string();
                // Structured files are located by JSON path or column; text by line.
                let at = &f["locations"][0];
                let place = match (at["json_path"].as_str(), at["column_name"].as_str()) {
                    (Some(path), _) => format!("at {path}"),
                    (None, Some(column)) => format!("row {} column {column}", at["row"]),
                    _ => format!("line {}", at["line"]),
                };
                println!(
                    "{:<16}   {:<24} {:<22} {place} sample {}",
                    "",
                    o["key"].as_str().unwrap_or("?"),
                    detector,
                    f["samples"][0]["masked"].as_str().unwrap_or("?")
                );
                found.push(detector);
            }
        }
    }
    for (detector, value) in samples::PLANTED {
        if !found.iter().any(|d| d == detector) {
            problems.push(format!("the scan did not find the planted {detector}"));
        }
        if text.contains(value) {
            problems.push(format!(
                "the scan report shows the planted {detector} unmasked"
            ));
        }
    }
    Ok(())
}

fn write_json(path: &PathBuf, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).expect("JSON serialises");
    std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// JSON log lines the functions wrote, as cargo lambda watch captured them.
fn function_logs(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("watch.log"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.find('{')
                .and_then(|i| serde_json::from_str::<Value>(&l[i..]).ok())
        })
        .collect()
}

/// What the ingest function wrote to the output bucket: key and record count (or kind).
async fn output_summary() -> Result<Vec<(String, String)>, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let clients = Clients::load(&ClientSettings::from(&config))
        .await
        .map_err(|e| e.to_string())?;
    let s3 = clients.s3();
    let listed = s3
        .list_objects_v2()
        .bucket(OUTPUT_BUCKET)
        .send()
        .await
        .map_err(|e| format!("list output: {e:?}"))?;
    let mut out = Vec::new();
    for o in listed.contents() {
        let key = o.key().unwrap_or_default().to_string();
        if key.starts_with("scans/") {
            continue; // the scan's files, summarised on their own
        }
        let body = s3
            .get_object()
            .bucket(OUTPUT_BUCKET)
            .key(&key)
            .send()
            .await
            .map_err(|e| format!("get {key}: {e:?}"))?;
        let bytes = body
            .body
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .into_bytes();
        let what = if key.ends_with(".json.gz") {
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
                &mut text,
            )
            .map_err(|e| e.to_string())?;
            // Each event is checked as a strict OCSF consumer would (make ocsf-table).
            let schema = integration_tests::ocsf::schema();
            let invalid: Vec<String> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|e| schema.validate(&e).first().map(ToString::to_string))
                .collect();
            match invalid.first() {
                None => format!(
                    "{} OCSF records, all valid OCSF {}",
                    text.lines().count(),
                    schema.version
                ),
                Some(first) => format!(
                    "{} OCSF records, {} NOT valid OCSF {}: {first}",
                    text.lines().count(),
                    invalid.len(),
                    schema.version
                ),
            }
        } else {
            "reject record".to_string()
        };
        out.push((key, what));
    }
    out.sort();
    Ok(out)
}

async fn summary(dir: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let expected = read_json(&dir.join("expected.json"))?;
    let ingest = read_json(&dir.join("ingest.json"))?;
    let logs = function_logs(dir);
    let counts = logs
        .iter()
        .rev()
        .find(|l| l["message"] == "invocation complete" && l.get("objects_delivered").is_some())
        .cloned()
        .unwrap_or(Value::Null);
    let failures = ingest["batchItemFailures"].as_array().map(Vec::len);
    let n = |k: &str| counts[k].as_u64().unwrap_or(0);

    println!();
    println!("s3connector demo: summary");
    println!("=========================");
    println!(
        "ingest           {} SQS messages from real S3 notifications -> {} objects: {} delivered, {} rejected, {} skipped; {} records in, {} delivered, {} rejected; {} batch item failures",
        expected["messages"], n("objects"), n("objects_delivered"), n("objects_rejected"), n("objects_skipped"),
        n("records_in"), n("records_delivered"), n("records_rejected"),
        failures.map_or("?".to_string(), |f| f.to_string())
    );
    let outputs = output_summary().await?;
    for (key, records) in &outputs {
        println!("                   s3://{OUTPUT_BUCKET}/{key} ({records})");
    }
    for l in logs.iter().filter(|l| l["message"] == "object rejected") {
        println!(
            "                   rejected s3://{}/{}: {}",
            l["bucket"].as_str().unwrap_or("?"),
            l["key"].as_str().unwrap_or("?"),
            l["reason"].as_str().unwrap_or("?")
        );
    }
    if failures != Some(0) {
        problems.push(format!("ingest returned {ingest}"));
    }
    for (key, what) in &outputs {
        if what.contains("NOT valid") {
            problems.push(format!("s3://{OUTPUT_BUCKET}/{key}: {what}"));
        }
    }
    // Every sample object is delivered except the one truncated on purpose.
    let expected_delivered = samples::demo_objects().len() as u64 - 1;
    if n("objects_delivered") != expected_delivered || n("objects_rejected") != 1 {
        problems.push(format!(
            "expected {expected_delivered} objects delivered and 1 rejected, got {counts}"
        ));
    }
    if n("records_in") != n("records_delivered") + n("records_rejected")
        || n("records_delivered") == 0
    {
        problems.push(format!("record counts do not add up: {counts}"));
    }
    if !outputs
        .iter()
        .any(|(k, _)| k.starts_with("rejects/kind=object/"))
    {
        problems.push("no reject record for the corrupt object".into());
    }

    scan_summary(dir, &mut problems).await?;

    let checks = [
        ("connection-ok.json", 200, Some("Successful")),
        ("connection-missing.json", 200, Some("Failed")),
        ("connection-invalid.json", 400, None),
        ("connection-no-role.json", 400, None),
        ("connection-foreign-account.json", 200, Some("Failed")),
        ("connection-external-id-guess.json", 400, None),
        ("connection-wrong-path.json", 404, None),
    ];
    let mut label = "test-connection";
    for (file, want_status, want_verdict) in checks {
        let reply = read_json(&dir.join(file))?;
        let status = reply["statusCode"].as_u64().unwrap_or(0);
        let body: Value =
            serde_json::from_str(reply["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
        let line = match body["steps"].as_array() {
            Some(_) => format!("HTTP {status} {}", body["status"].as_str().unwrap_or("?")),
            None => format!("HTTP {status} {}", body["error"].as_str().unwrap_or("?")),
        };
        println!("{label:<16} {file:<34} -> {line}");
        for s in body["steps"].as_array().into_iter().flatten() {
            let mut t = format!(
                "{:<16}   {:<12} {:<8}",
                "",
                s["name"].as_str().unwrap_or("?"),
                s["status"].as_str().unwrap_or("?")
            );
            if let Some(code) = s["error_code"].as_str() {
                t.push_str(&format!(" [{code}]"));
            }
            t.push_str(&format!(" {}", s["message"].as_str().unwrap_or("")));
            println!("{t}");
            if let Some(fix) = s["remediation"].as_str() {
                println!("{:<16}   {:<12} {:<8} fix: {fix}", "", "", "");
            }
        }
        label = "";
        // The endpoint acts through the named role, and refuses roles outside its accounts.
        let assume = body["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == "assume_role");
        let assume_ok = match file {
            "connection-ok.json" => assume.is_some_and(|s| s["status"] == "Passed"),
            "connection-foreign-account.json" => {
                assume.is_some_and(|s| s["error_code"] == "RoleNotAllowed")
            }
            _ => true,
        };
        if !assume_ok {
            problems.push(format!("{file}: unexpected assume_role step {assume:?}"));
        }
        if status != want_status || body["status"].as_str() != want_verdict {
            problems.push(format!(
                "{file}: expected HTTP {want_status} {want_verdict:?}, got {line}"
            ));
        }
    }
    classify_summary(dir, &mut problems)?;
    println!();
    if problems.is_empty() {
        println!("demo passed: every function ran through the Lambda runtime interface against the emulator");
        Ok(())
    } else {
        Err(format!("demo found problems:\n  {}", problems.join("\n  ")))
    }
}

/// SSNs for the CSV demo: valid, unformatted, so only the column name `ssn` makes them
/// findings.
const CSV_SSNS: [&str; 10] = [
    "536228726",
    "212458769",
    "345678902",
    "123450987",
    "456789013",
    "567890124",
    "234567891",
    "321654987",
    "654321789",
    "401223344",
];

/// A gzip CSV export: a customer id, an email and an unformatted SSN per row.
fn planted_csv(path: &Path) -> Result<(), String> {
    use std::io::Write;
    let mut csv = String::from("customer_id,email,ssn\n");
    for (i, ssn) in CSV_SSNS.iter().enumerate() {
        csv.push_str(&format!("{},customer{i}@example.org,{ssn}\n", 700_100 + i));
    }
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(csv.as_bytes()).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// The SSN in the e-mail's CSV attachment.
const EML_SSN: &str = "536-22-7719";

/// An e-mail as a mail client sends it (RFC 5322 headers, MIME multipart): a
/// quoted-printable text part whose soft line break (`=` at the line end) cuts the card
/// number, and a base64 CSV attachment with an `ssn` column. The classifier decodes both.
fn planted_eml(path: &Path) -> Result<(), String> {
    use base64::Engine;
    let card = samples::PLANTED[1].1;
    let (head, tail) = card.split_at(12);
    let csv = format!("name,ssn\r\nAlice Smith,{EML_SSN}\r\n");
    let attachment = base64::engine::general_purpose::STANDARD.encode(csv);
    let message = format!(
        "From: Alice Smith <alice.smith@example.org>\r\n\
         To: billing@example.com\r\n\
         Subject: Renewal\r\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Hello,\r\n\
         please charge my card {head}=\r\n\
         {tail} for the renewal.\r\n\
         --b1\r\n\
         Content-Type: text/csv; name=\"customers.csv\"\r\n\
         Content-Disposition: attachment; filename=\"customers.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {attachment}\r\n\
         --b1--\r\n"
    );
    std::fs::write(path, message).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints the e-mail's findings and checks the card cut by a quoted-printable soft break
/// and the SSN of the base64 attachment were found, each placed in its part.
fn eml_summary(eml: &Value, problems: &mut Vec<String>) {
    let findings: Vec<&Value> = eml["findings"].as_array().into_iter().flatten().collect();
    for f in &findings {
        println!(
            "{:<16} {:<22} {:<6} x{} in {} sample {}",
            "classify .eml",
            f["detector"].as_str().unwrap_or("?"),
            f["confidence"].as_str().unwrap_or("?"),
            f["count"],
            f["locations"][0]["part"].as_str().unwrap_or("?"),
            f["samples"][0]["masked"].as_str().unwrap_or("?")
        );
    }
    for (detector, part) in [("credit_card", "part 1"), ("us_ssn", "customers.csv")] {
        let placed = findings.iter().any(|f| {
            f["detector"] == detector
                && f["locations"][0]["part"]
                    .as_str()
                    .is_some_and(|p| p.contains(part))
        });
        if !placed {
            problems.push(format!(
                "classify did not find the e-mail's {detector} in {part}"
            ));
        }
    }
}

/// Prints the classifier's findings and labelled columns, and checks each planted value
/// was found and masked, and the CSV export's columns were labelled.
fn classify_summary(dir: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("classify.json")).map_err(|e| e.to_string())?;
    let report: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let objects: Vec<&Value> = report["objects"].as_array().into_iter().flatten().collect();
    let of = |suffix: &str| {
        objects
            .iter()
            .find(|o| o["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
            .copied()
    };
    let csv = of(".csv.gz").ok_or("classify did not report the CSV export")?;
    let mut labels = Vec::new();
    for c in csv["columns"].as_array().into_iter().flatten() {
        let label = format!(
            "{} -> {} ({}/{} values)",
            c["column"].as_str().unwrap_or("?"),
            c["detector"].as_str().unwrap_or("?"),
            c["matched"],
            c["sampled"]
        );
        println!("{:<16} column {label}", "classify csv.gz");
        labels.push(label);
    }
    for (column, detector) in [("email", "email"), ("ssn", "us_ssn")] {
        if !labels
            .iter()
            .any(|l| l.starts_with(&format!("{column} -> {detector} ")))
        {
            problems.push(format!(
                "classify did not label the CSV column {column} as {detector}"
            ));
        }
    }
    if labels.len() != 2 {
        problems.push(format!(
            "classify labelled {} CSV columns, 2 expected",
            labels.len()
        ));
    }
    for ssn in CSV_SSNS {
        if text.contains(ssn) {
            problems.push("classify output shows a CSV SSN unmasked".to_string());
        }
    }
    let eml = of("renewal.eml").ok_or("classify did not report renewal.eml")?;
    eml_summary(eml, problems);
    if text.contains(EML_SSN) {
        problems.push("classify output shows the e-mail's SSN unmasked".to_string());
    }
    let log = of("planted.log").ok_or("classify did not report planted.log")?;
    let findings: Vec<&Value> = log["findings"].as_array().into_iter().flatten().collect();
    let mut label = "classify";
    for f in &findings {
        println!(
            "{label:<16} {:<22} {:<6} x{} at {}:{} sample {}",
            f["detector"].as_str().unwrap_or("?"),
            f["confidence"].as_str().unwrap_or("?"),
            f["count"],
            f["locations"][0]["line"],
            f["locations"][0]["column"],
            f["samples"][0]["masked"].as_str().unwrap_or("?")
        );
        label = "";
    }
    for (detector, value) in samples::PLANTED {
        if !findings.iter().any(|f| f["detector"] == detector) {
            problems.push(format!("classify did not find the planted {detector}"));
        }
        if text.contains(value) {
            problems.push(format!(
                "classify output shows the planted {detector} unmasked"
            ));
        }
    }
    if findings.len() != samples::PLANTED.len() {
        problems.push(format!(
            "classify reported {} findings for {} planted values (decoys must not match)",
            findings.len(),
            samples::PLANTED.len()
        ));
    }
    Ok(())
}
