//! OCSF Parquet output rows of the benchmark: the whole pipeline writing what the S3 sink
//! writes with `S3CONNECTOR_OUTPUT_FORMAT=parquet` (zstd), as a ratio to `gzip -dc` of
//! the same input in the same run, its output bytes per input byte, and peak RSS.

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use s3connector::logs::LogType;
use s3connector::pipeline::{self, PipelineOptions};
use s3connector::sink::layout::OutputFormat;
use s3connector::sink::s3::{ChunkWriter, OutputCompression};
use s3connector::sink::BatchSource;

use super::{best_of, data_dir, ensure_input, open_input};

/// What one run of the pipeline to Parquet did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Run {
    /// Input bytes (decompressed).
    pub input: u64,
    /// Records normalized.
    pub records: u64,
    /// Parquet bytes written.
    pub output: u64,
    /// Time spent encoding chunks' columns as Parquet files (sort, Arrow arrays, Parquet
    /// encoding, zstd); the rest is reading, parsing and writing the columns.
    pub encode: Duration,
}

/// Runs the pipeline on `input` writing Parquet to a local file.
pub fn run(kind: LogType, input: &Path) -> Run {
    let (mut reader, source) = open_input(kind, input);
    let writer = ChunkWriter {
        format: OutputFormat::Parquet,
        ..ChunkWriter::ndjson(String::new(), OutputCompression::default())
    };
    let object_id = pipeline::object_id(&source);
    let out_path = data_dir().join(format!("{kind}-out.parquet"));
    let mut sink = BufWriter::new(std::fs::File::create(&out_path).unwrap());
    let mut output = 0u64;
    let mut encode = Duration::ZERO;
    let report = pipeline::process(
        &mut reader,
        kind,
        &source,
        0,
        &PipelineOptions {
            format: OutputFormat::Parquet,
            ..PipelineOptions::default()
        },
        &mut |chunk| {
            let batch = BatchSource {
                log_type: kind.as_str().into(),
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                first_index: chunk.first_index,
                object_id: object_id.clone(),
            };
            let started = Instant::now();
            let objects = writer
                .objects(&batch, chunk.events)
                .expect("Parquet encodes");
            encode += started.elapsed();
            for object in objects {
                output += object.body.len() as u64;
                sink.write_all(&object.body).expect("local sink write");
            }
            ControlFlow::Continue(())
        },
    )
    .expect("bench input parses");
    sink.flush().expect("flush sink");
    Run {
        input: reader.read,
        records: report.records,
        output,
        encode,
    }
}

/// Pipeline to Parquet against `gzip -dc` of the same input.
pub fn throughput(kind: LogType, mb: u64) {
    let input = ensure_input(kind, mb);
    let baseline = crate::gunzip_time(&input);
    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let mut last = Run::default();
    let ours = best_of(2, || last = run(kind, &input));
    let Run {
        input: bytes,
        records,
        output,
        encode,
    } = last;
    println!(
        "{kind} {:.0} MB ({records} records), output Parquet zstd {:.1} MB ({:.3} bytes per input byte): pipeline {:.1} MB/s, gzip -dc {:.1} MB/s, ratio {:.2} (target >= 0.5)",
        bytes as f64 / 1e6,
        output as f64 / 1e6,
        output as f64 / bytes.max(1) as f64,
        mbps(bytes, ours),
        mbps(bytes, baseline),
        baseline.as_secs_f64() / ours.as_secs_f64()
    );
    println!(
        "  encoding Parquet (sort, arrays, pages, zstd) took {:.2} s of the last run's; the rest is reading, parsing, mapping and writing columns",
        encode.as_secs_f64()
    );
}

/// VPC Flow Logs delivered as Parquet, the same flows, to OCSF Parquet: MB of flows (their
/// size as text) per second, against `gzip -dc` of those flows as text.
pub fn parquet_input_throughput(mb: u64) {
    let (input, text_bytes) = super::ensure_parquet_input(mb);
    let baseline = crate::gunzip_time(&ensure_input(LogType::VpcFlow, mb));
    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let mut last = Run::default();
    let ours = best_of(2, || last = run(LogType::VpcFlow, &input));
    println!(
        "{} {:.0} MB of Parquet ({:.0} MB of flows as text, {} records), output Parquet zstd {:.1} MB ({:.3} bytes per byte of flows as text): pipeline {:.1} MB/s of flows, gzip -dc of the text {:.1} MB/s, ratio {:.2}",
        super::PARQUET,
        last.input as f64 / 1e6,
        text_bytes as f64 / 1e6,
        last.records,
        last.output as f64 / 1e6,
        last.output as f64 / text_bytes.max(1) as f64,
        mbps(text_bytes, ours),
        mbps(text_bytes, baseline),
        baseline.as_secs_f64() / ours.as_secs_f64()
    );
}

/// Peak RSS writing Parquet for a small and a large object (child processes).
pub fn peak_memory(kind: LogType, small_mb: u64, large_mb: u64) {
    crate::peak_memory_of(
        "--peak-rss-parquet",
        kind.as_str(),
        &format!("{kind} to Parquet"),
        small_mb,
        large_mb,
    );
}
