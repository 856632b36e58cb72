//! `s3connector`: run the connector's library locally.
//!
//! stdout carries data only; stderr carries progress and reasons. Exit codes: 0 success,
//! 1 the work ran but failed its purpose (for `classify` and `scan`: findings), 2 bad
//! usage or configuration, and for `classify` and `scan` 3 incomplete (see [`exit`]).

mod classify;
mod exit;
mod scan;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use s3connector::aws::{ClientSettings, Clients, CredentialSource};
use s3connector::classify::s3::{S3ClassifyError, LIST_PAGE_SIZE};
use s3connector::classify::SampleLimits;
use s3connector::config::Config;
use s3connector::connection::{self, ConnectionTestRequest, Overall, TestSettings, Trust, Verdict};
use s3connector::ingest::IngestConfig;
use s3connector::logs::LogType;
use s3connector::normalize::{RawMode, SourceObject, TimeSource};
use s3connector::object;
use s3connector::pipeline::{self, choose_type, resolve_type, PipelineOptions, TypeChoice};
use s3connector::sink::layout::OutputFormat;
use s3connector::sink::s3::ChunkWriter;
use s3connector::sink::{BatchSource, Events};
use s3connector::telemetry::LogFormat;
use s3connector::{setup, telemetry};

#[derive(Parser)]
#[command(
    name = "s3connector",
    version,
    about = "Run the s3connector library locally: decode notifications, list buckets, test connections.",
    after_help = "Exit codes: 0 success; 1 the work ran but failed its purpose (classify, scan: \
findings; test-connection: a Failed verdict; parse: malformed records); 2 bad usage or \
configuration; 3 (classify, scan) incomplete: no findings, but something in scope could not be read."
)]
struct Cli {
    #[command(flatten)]
    aws: AwsFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct AwsFlags {
    /// Named profile from the AWS config and credentials files.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    profile: Option<String>,
    /// Region (default: from the environment or profile, then us-east-1).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Endpoint URL for every AWS service, e.g. a local emulator (S3 then uses path-style).
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Decode an S3, SNS or EventBridge notification (file or `-` for stdin) into object references (NDJSON).
    Notification {
        /// Path of a JSON file holding the notification or an SQS batch event, or `-`.
        file: String,
    },
    /// Parse a log file (local path or s3://bucket/key) and print normalized OCSF records as NDJSON.
    /// Exit 1 when the input is rejected (its compression, type or events cannot be
    /// read or encoded) or holds malformed records, 2 on bad usage.
    Parse {
        /// Local path, `-` for stdin, or s3://bucket/key.
        input: String,
        /// Log type, or `auto` to detect it as the ingest function does: an
        /// S3CONNECTOR_LOG_TYPE_OVERRIDES entry (a local file's bucket is `local`), then
        /// the key, then the content.
        #[arg(long = "type", default_value = "auto")]
        log_type: String,
        /// Where the original record goes: auto (JSON verbatim under unmapped.record,
        /// text lines as raw_data), unmapped, raw_data or drop.
        #[arg(long, default_value = "auto")]
        raw: String,
        /// Output format: ndjson, or parquet (OCSF Parquet, what the S3 sink writes with
        /// S3CONNECTOR_OUTPUT_FORMAT=parquet; needs --out).
        #[arg(long, default_value = "ndjson")]
        format: String,
        /// Write the objects the S3 sink would write for this input to FILE (gzip NDJSON
        /// or Parquet) instead of NDJSON on stdout. An input of several chunks, or a
        /// Parquet chunk of several OCSF classes or partitions (days, accounts, regions),
        /// gives several files: FILE, then FILE's name with -1, -2... before its
        /// extension, which starts at the name's first dot (c.json.gz, c-1.json.gz,
        /// c-2.json.gz).
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Find sensitive data (credentials, card numbers, national ids, personal data) in
    /// files, directories (recursively, gzip and zstd decompressed) or s3://bucket/key.
    /// Exit 1 when anything is found, 0 when clean, 3 when a file could not be read.
    #[command(after_help = exit::HELP)]
    Classify(ClassifyArgs),
    /// Scan buckets for sensitive data (the scan function's plan and work, in this
    /// process): reports in --out, a summary table on stdout. Exit 1 when anything is
    /// found, 0 when clean and complete, 3 when something could not be read.
    #[command(after_help = exit::HELP)]
    Scan(ScanCliArgs),
    /// List the buckets the credentials can see.
    Buckets {
        /// Print one JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check step by step that the credentials (or a role) can reach a bucket and queue.
    TestConnection(TestConnectionArgs),
    /// Wire existing AWS resources to a deployment.
    #[command(subcommand)]
    Setup(SetupCommand),
}

#[derive(Subcommand)]
enum SetupCommand {
    /// Add the ingest queue to an existing bucket's notifications, keeping the targets already there.
    Notifications(SetupNotificationsArgs),
}

#[derive(Args)]
struct SetupNotificationsArgs {
    /// The bucket whose new objects should be ingested.
    #[arg(long)]
    bucket: String,
    /// ARN of the ingest queue (the stack's IngestQueueArn output).
    #[arg(long)]
    queue_arn: String,
    /// Only keys with this prefix notify the queue.
    #[arg(long)]
    prefix: Option<String>,
    /// Only keys with this suffix notify the queue.
    #[arg(long)]
    suffix: Option<String>,
    /// 12-digit account that should own the bucket (S3 ExpectedBucketOwner).
    #[arg(long)]
    expected_bucket_owner: Option<String>,
    /// Print the change without writing it.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
struct ScanCliArgs {
    /// Scan config (JSON; the same document as S3CONNECTOR_SCAN_CONFIG).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Bucket name or glob to scan (repeatable; replaces the config's buckets.include).
    #[arg(long = "bucket")]
    buckets: Vec<String>,
    /// Key prefix to scan (repeatable; replaces the config's prefixes.include).
    #[arg(long = "prefix")]
    prefixes: Vec<String>,
    /// Classify only objects created or changed since the last completed scan in --out.
    #[arg(long)]
    incremental: bool,
    /// Directory for reports, part files and incremental checkpoints.
    #[arg(long, default_value = "s3connector-scan")]
    out: std::path::PathBuf,
    /// Print the totals as one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ClassifyArgs {
    /// Local file or directory, s3://bucket/key, or s3://bucket/prefix (every object under it).
    #[arg(required_unless_present = "list_detectors")]
    input: Option<String>,
    /// Detector ids to run, comma-separated (default: all; see --list-detectors).
    #[arg(long, value_delimiter = ',')]
    detectors: Vec<String>,
    /// Read at most this many (decompressed) bytes per object, at least 1; a cut object is
    /// PARTIAL.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_bytes: Option<u64>,
    /// Read at most this many records per structured object (CSV rows, JSON lines,
    /// Parquet rows, spreadsheet rows), at least 1; a cut object is PARTIAL.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_rows: Option<u64>,
    /// Locations kept per finding (the count is always complete).
    #[arg(long, default_value_t = 10)]
    max_locations: usize,
    /// Column rule: distinct values a column needs before it is labelled.
    #[arg(long, default_value_t = 8)]
    column_min_distinct: u64,
    /// Column rule: share of a column's non-empty values that must match (0 to 1).
    #[arg(long, default_value_t = 0.6)]
    column_min_share: f64,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// List the detectors and exit.
    #[arg(long)]
    list_detectors: bool,
}

#[derive(Args)]
struct TestConnectionArgs {
    /// Bucket name or s3://bucket/prefix.
    #[arg(long)]
    bucket: String,
    /// Key prefix to test under.
    #[arg(long)]
    prefix: Option<String>,
    /// 12-digit account that should own the bucket (S3 ExpectedBucketOwner); also fills
    /// in aws:SourceAccount in the queue policy advice.
    #[arg(long)]
    expected_bucket_owner: Option<String>,
    /// Role to assume first (any role: the CLI acts as you, not as a shared service).
    #[arg(long)]
    role_arn: Option<String>,
    /// External ID for the role (or set S3CONNECTOR_TEST_EXTERNAL_ID to keep it out of shell history).
    #[arg(long, env = "S3CONNECTOR_TEST_EXTERNAL_ID", hide_env_values = true)]
    external_id: Option<String>,
    /// Role session name.
    #[arg(long)]
    session_name: Option<String>,
    /// Role session duration in seconds (900-43200).
    #[arg(long)]
    duration_seconds: Option<u32>,
    /// SQS queue URL that should receive the bucket's notifications.
    #[arg(long)]
    queue_url: Option<String>,
    /// Also write, read back and delete a beacon object under the prefix.
    #[arg(long)]
    write_test: bool,
    /// Print the same JSON document the endpoint returns.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    telemetry::init(LogFormat::Text, &cli_log_filter(&config.log_level));
    match run(cli, config).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// The log filter of the CLI: the configured one, with the AWS SDK's own crates held to
/// errors unless the filter names them (`aws_config=debug`): their warnings (a credential
/// provider that found nothing, a retried request) would repeat, raw, what the command
/// reports in one line.
fn cli_log_filter(directive: &str) -> String {
    if directive.contains("aws_") {
        return directive.to_string();
    }
    format!("{directive},aws_config=error,aws_runtime=error,aws_smithy_runtime=error,aws_smithy_runtime_api=error,aws_sdk_s3=error,aws_sdk_sts=error,aws_sdk_sso=error,aws_sdk_ssooidc=error")
}

async fn run(cli: Cli, config: Config) -> Result<ExitCode, String> {
    match cli.command {
        Command::Notification { file } => decode_notification(&file),
        Command::Parse {
            input,
            log_type,
            raw,
            format,
            out,
        } => {
            let format: OutputFormat = format.parse().map_err(|e| format!("--format: {e}"))?;
            if format == OutputFormat::Parquet && out.is_none() {
                return Err(
                    "--format parquet needs --out FILE (Parquet is not written to a terminal)"
                        .into(),
                );
            }
            parse(&cli.aws, &config, &input, &log_type, &raw, format, out).await
        }
        Command::Classify(args) => classify(&cli.aws, &config, args).await,
        Command::Scan(args) => {
            let clients = clients(&cli.aws, &config).await?;
            let hmac = std::env::var(s3connector::classify::HMAC_KEY_ENV)
                .ok()
                .filter(|k| !k.is_empty());
            let args = scan::ScanArgs {
                config: args.config,
                buckets: args.buckets,
                prefixes: args.prefixes,
                incremental: args.incremental,
                out: args.out,
                json: args.json,
            };
            scan::run(clients, args, hmac).await
        }
        Command::Buckets { json } => {
            let clients = clients(&cli.aws, &config).await?;
            let buckets = s3connector::scan::list_buckets(&clients.s3())
                .await
                .map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::json!({ "buckets": buckets }));
            } else {
                println!("{:<63}  {:<16}  CREATED", "BUCKET", "REGION");
                for b in &buckets {
                    println!(
                        "{:<63}  {:<16}  {}",
                        b.name,
                        b.region.as_deref().unwrap_or("-"),
                        b.created.as_deref().unwrap_or("-")
                    );
                }
                eprintln!("{} bucket(s)", buckets.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::TestConnection(args) => {
            let request = ConnectionTestRequest {
                bucket: args.bucket,
                expected_bucket_owner: args.expected_bucket_owner,
                prefix: args.prefix,
                region: cli.aws.region.clone(),
                role_arn: args.role_arn,
                external_id: args.external_id.map(Into::into),
                session_name: args.session_name,
                duration_seconds: args.duration_seconds,
                queue_url: args.queue_url,
                write_test: args.write_test,
            }
            .validate()
            .map_err(|e| e.to_string())?;
            let clients = clients(&cli.aws, &config).await?;
            // The CLI acts as the user: their own credentials, any role, their external ID.
            let settings = TestSettings::new(Trust::LocalUser);
            let verdict = connection::run(&clients, &settings, &request).await;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&verdict).expect("verdict serialises")
                );
            } else {
                print_verdict(&verdict);
            }
            Ok(match verdict.status {
                Overall::Successful => ExitCode::SUCCESS,
                Overall::Failed => ExitCode::from(1),
            })
        }
        Command::Setup(SetupCommand::Notifications(args)) => {
            setup_notifications(&cli.aws, &config, args).await
        }
    }
}

async fn setup_notifications(
    flags: &AwsFlags,
    config: &Config,
    args: SetupNotificationsArgs,
) -> Result<ExitCode, String> {
    let target = setup::QueueTarget {
        queue_arn: args.queue_arn,
        prefix: args.prefix,
        suffix: args.suffix,
    };
    setup::validate_queue_arn(&target.queue_arn).map_err(|e| e.to_string())?;
    let clients = clients(flags, config).await?;
    let change = match setup::setup_notifications(
        &clients.s3(),
        &args.bucket,
        args.expected_bucket_owner.as_deref(),
        &target,
        args.dry_run,
    )
    .await
    {
        Ok(change) => change,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let filter = |p: &Option<String>, s: &Option<String>| {
        format!(
            "prefix={} suffix={}",
            p.as_deref().unwrap_or("-"),
            s.as_deref().unwrap_or("-")
        )
    };
    for r in &change.existing {
        println!("keep  {r}");
    }
    match change.plan {
        setup::Plan::AlreadyPresent => {
            eprintln!(
                "bucket {}: the queue is already notified; nothing changed",
                args.bucket
            );
        }
        setup::Plan::Add { .. } => {
            println!(
                "add   Queue {} -> {} events={} {}",
                setup::RULE_ID,
                target.queue_arn,
                setup::INGEST_EVENT,
                filter(&target.prefix, &target.suffix)
            );
            if change.written {
                eprintln!("bucket {}: notification configuration written", args.bucket);
            } else {
                eprintln!("bucket {}: dry run, nothing written", args.bucket);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn classify(
    flags: &AwsFlags,
    config: &Config,
    args: ClassifyArgs,
) -> Result<ExitCode, String> {
    if args.list_detectors {
        return Ok(classify::list_detectors(args.json));
    }
    let input = args
        .input
        .expect("clap requires an input without --list-detectors");
    let classifier = classify::classifier(
        args.detectors,
        args.max_locations,
        args.column_min_distinct,
        args.column_min_share,
    )?;
    let limits = SampleLimits {
        max_bytes: args.max_bytes,
        max_rows: args.max_rows,
    };
    let outcomes = if let Some(rest) = input.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{input}: expected s3://bucket[/key-or-prefix]"));
        }
        let s3 = clients(flags, config).await?.s3();
        match s3connector::classify::s3::object_keys(&s3, bucket, prefix, LIST_PAGE_SIZE).await {
            Ok(keys) => classify::classify_s3(&s3, &classifier, bucket, keys, limits).await,
            // No credentials, or nothing there: configuration or usage (exit 2).
            Err(e) if e.is_credentials() || matches!(e, S3ClassifyError::NothingThere { .. }) => {
                return Err(e.to_string())
            }
            // The scope could not be read (denied, no such bucket...): incomplete (exit 3).
            Err(e) => vec![classify::outcome(input.clone(), Err(e.to_string()))],
        }
    } else {
        let (files, unreadable) = classify::local_files(std::path::Path::new(&input))?;
        if files.is_empty() && unreadable.is_empty() {
            return Err(format!(
                "{input}: no file there to classify (an empty directory)"
            ));
        }
        tokio::task::spawn_blocking(move || classify::classify_files(&classifier, files, &limits))
            .await
            .map_err(|e| format!("classify task failed: {e}"))?
            .into_iter()
            .chain(unreadable)
            .collect()
    };
    Ok(classify::finish(&outcomes, args.json))
}

async fn clients(flags: &AwsFlags, config: &Config) -> Result<Clients, String> {
    let mut settings = ClientSettings::from(config);
    if let Some(r) = &flags.region {
        settings.region = Some(r.clone());
    }
    if let Some(u) = &flags.endpoint_url {
        settings.endpoint_url = Some(u.clone());
    }
    if let Some(p) = &flags.profile {
        settings.credentials = CredentialSource::Profile(p.clone());
    }
    Clients::load(&settings).await.map_err(|e| e.to_string())
}

/// An input opened for reading: a local file, stdin, or an S3 object's body.
struct Input {
    source: SourceObject,
    reader: Box<dyn Read + Send>,
    content_encoding: Option<String>,
    content_type: Option<String>,
    /// When the object or file was last written (epoch ms), the time of records without one.
    modified: Option<(i64, TimeSource)>,
}

/// Opens a local path, `-` (stdin) or `s3://bucket/key`.
async fn open_input(flags: &AwsFlags, config: &Config, input: &str) -> Result<Input, String> {
    match input.strip_prefix("s3://") {
        Some(rest) => {
            let (bucket, key) = rest
                .split_once('/')
                .filter(|(_, k)| !k.is_empty())
                .ok_or_else(|| format!("{input}: expected s3://bucket/key"))?;
            let clients = clients(flags, config).await?;
            let out = clients
                .s3()
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "{input}: {}",
                        s3connector::connection::diagnosis::failure_line(
                            "GetObject",
                            "s3:GetObject",
                            input,
                            &e
                        )
                    )
                })?;
            Ok(Input {
                source: SourceObject {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    etag: out.e_tag.clone(),
                    version_id: out.version_id.clone(),
                },
                content_encoding: out.content_encoding.clone(),
                content_type: out.content_type.clone(),
                modified: out
                    .last_modified
                    .and_then(|t| t.to_millis().ok())
                    .map(|ms| (ms, TimeSource::ObjectLastModified)),
                reader: Box::new(tokio_util::io::SyncIoBridge::new(
                    out.body.into_async_read(),
                )),
            })
        }
        None => {
            let (reader, modified): (Box<dyn Read + Send>, _) = if input == "-" {
                (Box::new(std::io::stdin()), None)
            } else {
                let file = std::fs::File::open(input).map_err(|e| format!("{input}: {e}"))?;
                let modified = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .and_then(|d| i64::try_from(d.as_millis()).ok())
                    .map(|ms| (ms, TimeSource::FileModified));
                (Box::new(file), modified)
            };
            Ok(Input {
                source: SourceObject {
                    bucket: "local".into(),
                    key: input.to_string(),
                    etag: None,
                    version_id: None,
                },
                reader,
                content_encoding: None,
                content_type: None,
                modified,
            })
        }
    }
}

async fn parse(
    flags: &AwsFlags,
    config: &Config,
    input: &str,
    log_type: &str,
    raw: &str,
    format: OutputFormat,
    out: Option<std::path::PathBuf>,
) -> Result<ExitCode, String> {
    let keep_raw: RawMode = raw.parse().map_err(|e| format!("--raw: {e}"))?;
    let settings = IngestConfig::from_lookup(|k| match k {
        // The format is the flag's; the sink kind does not apply to files.
        "S3CONNECTOR_OUTPUT_FORMAT" => Some(
            match format {
                OutputFormat::Ndjson => "ndjson",
                OutputFormat::Parquet => "parquet",
            }
            .to_owned(),
        ),
        "S3CONNECTOR_SINK" => None,
        _ => std::env::var(k).ok().filter(|v| !v.trim().is_empty()),
    })
    .map_err(|e| e.to_string())?;
    let output_prefix = config.output_prefix.clone();
    let forced = match log_type {
        "auto" => None,
        t => Some(t.parse::<LogType>().map_err(|e| format!("--type: {e}"))?),
    };
    let Input {
        source,
        reader: raw_reader,
        content_encoding: encoding,
        content_type,
        modified,
    } = open_input(flags, config, input).await?;
    let input = input.to_string();
    // Parsing is synchronous and the S3 body is bridged from async: run it off the runtime.
    tokio::task::spawn_blocking(move || {
        let opened = match object::open(
            raw_reader,
            encoding.as_deref(),
            content_type.as_deref(),
            &source.key,
            settings.bomb,
        ) {
            Ok(opened) => opened,
            Err(e) => return Ok(rejected(&format!("{input}: rejected: {e}"))),
        };
        let mut reader = opened.reader;
        // `--type`, else the deployment's overrides, as the ingest function applies them
        // (a local file's bucket is `local`, its key the path).
        let choice = choose_type(forced, &settings.overrides, &source.bucket, &source.key);
        if let TypeChoice::Skip(reason) = &choice {
            eprintln!("{input}: skipped: {reason}");
            return Ok(ExitCode::SUCCESS);
        }
        let log_type = match resolve_type(&choice, &mut reader) {
            Ok(t) => t.expect("skip handled above"),
            Err(e) => return Ok(rejected(&format!("{input}: rejected: {e}"))),
        };
        let nested: String = opened
            .nested
            .iter()
            .map(|inner| format!(" around {inner}"))
            .collect();
        eprintln!("{input}: type {log_type}, {}{nested}", opened.compression);
        // Chunks are cut by the deployment's S3CONNECTOR_CHUNK_RECORDS and
        // _CHUNK_MAX_BYTES, so --out files are the objects the S3 sink would write.
        let opts = PipelineOptions {
            keep_raw,
            chunk_records: settings.chunk_records,
            chunk_bytes: settings.chunk_bytes,
            fallback_time_ms: modified.map(|m| m.0),
            fallback_time_source: modified.map_or(TimeSource::default(), |m| m.1),
            format: if out.is_some() {
                format
            } else {
                OutputFormat::Ndjson
            },
            ..PipelineOptions::default()
        };
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        // The deployment's own output settings (S3CONNECTOR_OUTPUT_COMPRESSION, _LAYOUT,
        // _SECURITY_LAKE_SOURCES, _PREFIX) from the environment, so the files and keys
        // are the S3 sink's; --format chooses the format.
        let writer = ChunkWriter {
            format,
            layout: settings.layout,
            ..ChunkWriter::ndjson(output_prefix, settings.compression)
        };
        let object_id = pipeline::object_id(&source);
        let mut written = 0usize;
        let mut failure: Option<String> = None;
        // The input's events could not be encoded (Parquet): the input is rejected.
        let mut encoding: Option<String> = None;
        let report = pipeline::process(&mut reader, log_type, &source, 0, &opts, &mut |chunk| {
            let Some(out) = &out else {
                if let Events::Ndjson(records) = &chunk.events {
                    for r in records {
                        if writeln!(stdout, "{}", r.json).is_err() {
                            return std::ops::ControlFlow::Break(());
                        }
                    }
                }
                return std::ops::ControlFlow::Continue(());
            };
            let batch = BatchSource {
                log_type: log_type.as_str().to_owned(),
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                first_index: chunk.first_index,
                object_id: object_id.clone(),
            };
            let objects = match writer.objects(&batch, chunk.events) {
                Ok(objects) => objects,
                Err(e) => {
                    encoding = Some(format!("{input}: rejected: {e}"));
                    return std::ops::ControlFlow::Break(());
                }
            };
            for object in objects {
                let path = numbered(out, written);
                written += 1;
                if let Err(e) = std::fs::write(&path, &object.body) {
                    failure = Some(format!("writing {}: {e}", path.display()));
                    return std::ops::ControlFlow::Break(());
                }
                eprintln!(
                    "{input}: {} records to {} (the S3 sink's key: {})",
                    object.records,
                    path.display(),
                    object.key
                );
            }
            std::ops::ControlFlow::Continue(())
        });
        let _ = stdout.flush();
        if let Some(failure) = failure {
            return Err(failure);
        }
        if let Some(encoding) = encoding {
            return Ok(rejected(&encoding));
        }
        let report = match report {
            Ok(report) => report,
            Err(e) => return Ok(rejected(&format!("{input}: rejected: {e}"))),
        };
        for e in &report.errors {
            eprintln!("{input}: {}: {} ({})", e.place(), e.reason, e.excerpt);
        }
        eprintln!(
            "{input}: {} records, {} malformed",
            report.records, report.malformed
        );
        Ok(if report.malformed > 0 {
            ExitCode::from(exit::REJECTED)
        } else {
            ExitCode::SUCCESS
        })
    })
    .await
    .map_err(|e| format!("parse task failed: {e}"))?
}

/// Reports why `parse`'s input was rejected (stderr) and gives its exit code: a bad
/// input is the work failing its purpose, not a usage error.
fn rejected(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(exit::REJECTED)
}

/// `out` for the first output file, then `out` with `-<n>` before its extension, which
/// is everything from the name's first dot (`c.json.gz` gives `c-1.json.gz`), so a
/// glob of the first name's extension matches every chunk.
fn numbered(out: &std::path::Path, n: usize) -> std::path::PathBuf {
    if n == 0 {
        return out.to_path_buf();
    }
    let name = out
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A leading dot starts a hidden file's name, not its extension.
    let name = match name.char_indices().skip(1).find(|(_, c)| *c == '.') {
        Some((dot, _)) => format!("{}-{n}{}", &name[..dot], &name[dot..]),
        None => format!("{name}-{n}"),
    };
    out.with_file_name(name)
}

fn decode_notification(file: &str) -> Result<ExitCode, String> {
    let mut text = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("reading stdin: {e}"))?;
    } else {
        text = std::fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?;
    }
    let event: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{file} is not JSON: {e}"))?;
    let outcome = s3connector::ingest::announce(event);
    for object in &outcome.objects {
        println!(
            "{}",
            serde_json::to_string(object).expect("object serialises")
        );
    }
    eprintln!(
        "{} message(s): {} object(s), {} skipped, {} test event(s), {} rejected",
        outcome.counts.messages,
        outcome.counts.objects,
        outcome.counts.skipped,
        outcome.counts.test_events,
        outcome.counts.rejected
    );
    // A rejected message means the input failed its purpose; say so in the exit code.
    Ok(if outcome.counts.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_verdict(v: &Verdict) {
    println!(
        "{:<12}  {:<8}  {:<9}  MESSAGE",
        "STEP", "STATUS", "MANDATORY"
    );
    for s in &v.steps {
        println!(
            "{:<12}  {:<8}  {:<9}  {}",
            s.name.as_str(),
            format!("{:?}", s.status),
            if s.mandatory { "yes" } else { "no" },
            s.message
        );
        if let Some(code) = &s.error_code {
            println!("{:<12}  {:<8}  {:<9}  error code: {code}", "", "", "");
        }
        if let Some(fix) = &s.remediation {
            println!("{:<12}  {:<8}  {:<9}  fix: {fix}", "", "", "");
        }
    }
    println!("verdict: {:?}", v.status);
}
