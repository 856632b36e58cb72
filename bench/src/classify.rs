//! Classification against ripgrep: a generated corpus (log lines, CSV, NDJSON, prose) with
//! valid values of six detectors planted on known lines, and near misses (wrong check
//! digits, invalid ranges) and decoys (UUIDs, versions, timestamps, order numbers,
//! hashes) around them. `s3connector classify` (validation, keywords, masking, JSON
//! output) and `rg` (one `-e` per detector's shape, `--count-matches`, one thread) read
//! the same files in the same run; precision and recall of both are measured against
//! the planted truth.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The detectors planted, and the regex ripgrep is given for each: the detector's shape,
/// without its validation.
pub const DETECTORS: &[(&str, &str)] = &[
    (
        "credit_card",
        r"\b(?:4[0-9]{3}|5[1-5][0-9]{2}|6011)(?:[ -]?[0-9]{4}){3}\b",
    ),
    ("us_ssn", r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"),
    (
        "iban",
        r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
    ),
    (
        "aws_access_key_id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b",
    ),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    (
        "email",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    ),
];

/// A planted value: file name, line (from 1) and detector.
pub type Truth = HashMap<(String, u64, String), u64>;

/// xorshift64: deterministic corpus without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.below(alphabet.len() as u64) as usize]))
            .collect()
    }
}

fn luhn_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn group4(s: &str, sep: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(sep)
}

fn iban_de(rng: &mut Rng, valid: bool) -> String {
    let bban = rng.digits(18);
    let rearranged = format!("{bban}131400");
    let rem = rearranged
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    let mut check = 98 - rem;
    if !valid {
        check = (check + 1 + rng.below(50) as u32) % 97 + 2;
        if check == 98 - rem {
            check = if check > 2 { check - 1 } else { check + 1 };
        }
    }
    format!("DE{check:02}{bban}")
}

/// A valid value of `detector`, formatted as people write it.
fn valid(rng: &mut Rng, detector: &str) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    match detector {
        "credit_card" => {
            let body = format!("4{}", rng.digits(14));
            let card = format!("{body}{}", luhn_digit(&body));
            match rng.below(3) {
                0 => card,
                1 => group4(&card, " "),
                _ => group4(&card, "-"),
            }
        }
        "us_ssn" => {
            let area = loop {
                let a = 1 + rng.below(899);
                if a != 666 {
                    break a;
                }
            };
            format!(
                "{area:03}-{:02}-{:04}",
                1 + rng.below(99),
                1 + rng.below(9999)
            )
        }
        "iban" => {
            let iban = iban_de(rng, true);
            if rng.below(2) == 0 {
                iban
            } else {
                group4(&iban, " ")
            }
        }
        "aws_access_key_id" => format!("AKIA{}", rng.pick(B32, 16)),
        "github_token" => format!("ghp_{}", rng.pick(B62, 36)),
        "email" => format!(
            "{}.{}{}@mail{}.example.org",
            rng.pick(b"abcdefghijklmnopqrstuvwxyz", 5),
            rng.pick(b"abcdefghijklmnopqrstuvwxyz", 7),
            rng.below(1000),
            rng.below(50)
        ),
        other => unreachable!("no generator for {other}"),
    }
}

/// A lookalike the detector must reject (ripgrep's shape accepts most of them).
fn near_miss(rng: &mut Rng, detector: &str) -> String {
    match detector {
        "credit_card" => {
            let body = format!("4{}", rng.digits(14));
            let bad = (luhn_digit(&body) + 1 + rng.below(8) as u8) % 10;
            group4(&format!("{body}{bad}"), " ")
        }
        "us_ssn" => {
            let area = ["000", "666", "987"][rng.below(3) as usize];
            // Groups 10-49 are not ITIN groups either.
            format!("{area}-{}-{:04}", 10 + rng.below(40), 1 + rng.below(9999))
        }
        "iban" => iban_de(rng, false),
        "aws_access_key_id" => format!("AKIA{}", rng.digits(16)),
        "github_token" => format!("ghp_{}", rng.pick(b"abcdef0123", 20)),
        "email" => format!("user{}@localhost", rng.below(100)),
        other => unreachable!("no generator for {other}"),
    }
}

/// The keyword people write next to a value.
fn keyword(detector: &str) -> &'static str {
    match detector {
        "credit_card" => "card",
        "us_ssn" => "SSN",
        "iban" => "IBAN",
        "aws_access_key_id" => "aws key",
        "github_token" => "token",
        _ => "contact",
    }
}

fn decoy(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            rng.next_u64() as u32,
            rng.below(65536),
            rng.below(4096),
            rng.below(4096),
            rng.next_u64() & 0xffff_ffff_ffff
        ),
        1 => format!("v{}.{}.{}", rng.below(10), rng.below(40), rng.below(200)),
        2 => format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        ),
        3 => format!("order {}", 1_000_000_000 + rng.below(8_999_999_999)),
        4 => format!(
            "{:016x}{:016x}{:08x}",
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64() as u32
        ),
        _ => format!("sku {}-{}", rng.below(1000), rng.below(100)),
    }
}

const WORDS: &[&str] = &[
    "the",
    "request",
    "was",
    "processed",
    "by",
    "service",
    "and",
    "returned",
    "status",
    "customer",
    "updated",
    "profile",
    "with",
    "new",
    "settings",
    "after",
    "review",
    "of",
    "account",
    "batch",
    "job",
    "completed",
    "in",
    "seconds",
    "queue",
    "message",
    "sent",
];

fn prose(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

/// What a line carries besides filler.
enum Payload {
    Value(&'static str, String),
    Miss(String),
    Decoy(String),
    Nothing,
}

fn payload(rng: &mut Rng, rate: u64) -> Payload {
    let detector = DETECTORS[rng.below(DETECTORS.len() as u64) as usize].0;
    match rng.below(rate) {
        0 => Payload::Value(detector, valid(rng, detector)),
        1 => Payload::Miss(format!(
            "{} {}",
            keyword(detector),
            near_miss(rng, detector)
        )),
        2..=4 => Payload::Decoy(decoy(rng)),
        _ => Payload::Nothing,
    }
}

/// Writes the corpus (four files of about `bytes / 4` each) into `dir`; returns the
/// planted truth and the total size in bytes. One value on about one line in `rate`.
pub fn generate(dir: &Path, bytes: u64, rate: u64, seed: u64) -> (Truth, u64) {
    std::fs::create_dir_all(dir).expect("corpus dir");
    let mut rng = Rng::new(seed);
    let mut truth = Truth::new();
    let mut total = 0;
    let each = bytes / 4;
    for name in ["app.log", "orders.csv", "events.ndjson", "notes.txt"] {
        let path = dir.join(name);
        let mut out = BufWriter::new(std::fs::File::create(&path).expect("corpus file"));
        let mut written: u64 = 0;
        let mut line: u64 = 0;
        if name == "orders.csv" {
            let header = "order_id,sku,quantity,amount,comment\n";
            out.write_all(header.as_bytes()).unwrap();
            written += header.len() as u64;
            line += 1;
        }
        while written < each {
            line += 1;
            let p = payload(&mut rng, rate);
            let text = match &p {
                Payload::Value(d, v) => format!("{} {v}", keyword(d)),
                Payload::Miss(m) | Payload::Decoy(m) => m.clone(),
                Payload::Nothing => String::new(),
            };
            let mut s = String::new();
            match name {
                "app.log" => {
                    let _ = writeln!(
                        s,
                        "2024-05-{:02}T10:{:02}:{:02}.{:03}Z INFO [worker-{}] {} {}",
                        1 + rng.below(28),
                        rng.below(60),
                        rng.below(60),
                        rng.below(1000),
                        rng.below(16),
                        prose(&mut rng, 8),
                        text
                    );
                }
                "orders.csv" => {
                    let comment = if text.is_empty() {
                        prose(&mut rng, 5)
                    } else {
                        text.clone()
                    };
                    let _ = writeln!(
                        s,
                        "{},SKU-{:05},{},{}.{:02},\"{}\"",
                        100_000 + line,
                        rng.below(100_000),
                        1 + rng.below(9),
                        rng.below(1000),
                        rng.below(100),
                        comment
                    );
                }
                "events.ndjson" => {
                    let _ = writeln!(
                        s,
                        "{{\"event\":\"{}\",\"seq\":{},\"detail\":{{\"message\":\"{}\",\"note\":\"{}\"}}}}",
                        ["login", "update", "export", "delete"][rng.below(4) as usize],
                        line,
                        prose(&mut rng, 6),
                        text
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "{} {} {}.",
                        prose(&mut rng, 10),
                        text,
                        prose(&mut rng, 4)
                    );
                }
            }
            if let Payload::Value(d, _) = p {
                *truth
                    .entry((name.to_string(), line, d.to_string()))
                    .or_default() += 1;
            }
            out.write_all(s.as_bytes()).unwrap();
            written += s.len() as u64;
        }
        out.flush().unwrap();
        total += written;
    }
    (truth, total)
}

/// Precision and recall of `found` against `truth` (multisets of file, line, detector).
pub fn score(truth: &Truth, found: &Truth) -> (f64, f64, u64, u64, u64) {
    let planted: u64 = truth.values().sum();
    let reported: u64 = found.values().sum();
    let hit: u64 = found
        .iter()
        .map(|(k, n)| (*n).min(truth.get(k).copied().unwrap_or(0)))
        .sum();
    let precision = if reported == 0 {
        1.0
    } else {
        hit as f64 / reported as f64
    };
    let recall = if planted == 0 {
        1.0
    } else {
        hit as f64 / planted as f64
    };
    (precision, recall, planted, reported, hit)
}

/// Findings of a `classify --json` document as (file name, line, detector).
pub fn found_in_report(report: &serde_json::Value) -> Truth {
    let mut found = Truth::new();
    for object in report["objects"].as_array().into_iter().flatten() {
        let path = object["path"].as_str().unwrap_or_default();
        let name = Path::new(path)
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        for f in object["findings"].as_array().into_iter().flatten() {
            let detector = f["detector"].as_str().unwrap_or_default();
            for l in f["locations"].as_array().into_iter().flatten() {
                let line = l["line"].as_u64().unwrap_or(0);
                *found
                    .entry((name.clone(), line, detector.to_string()))
                    .or_default() += 1;
            }
        }
    }
    found
}

/// The `s3connector` binary built beside this one (`make bench` builds both).
fn cli() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.with_file_name(format!("s3connector{}", std::env::consts::EXE_SUFFIX))
}

fn detector_ids() -> String {
    DETECTORS
        .iter()
        .map(|(id, _)| *id)
        .collect::<Vec<_>>()
        .join(",")
}

fn run_classify(dir: &Path) -> (f64, serde_json::Value) {
    let start = Instant::now();
    let out = Command::new(cli())
        .args(["classify", "--json", "--max-locations", "100000000"])
        .args(["--detectors", &detector_ids()])
        .arg(dir)
        .output()
        .expect("run s3connector classify (build it with `cargo build --release --bins`)");
    let seconds = start.elapsed().as_secs_f64();
    let report = serde_json::from_slice(&out.stdout).expect("classify --json output");
    (seconds, report)
}

fn rg_args() -> Vec<String> {
    let mut args = vec!["--threads".to_string(), "1".into(), "--no-config".into()];
    for (_, re) in DETECTORS {
        args.push("-e".into());
        args.push((*re).into());
    }
    args
}

fn run_rg_count(dir: &Path) -> f64 {
    let start = Instant::now();
    let out = Command::new("rg")
        .args(rg_args())
        .arg("--count-matches")
        .arg(dir)
        .output()
        .expect("run rg (make bench installs it)");
    assert!(out.status.code().is_some_and(|c| c <= 1), "rg failed");
    start.elapsed().as_secs_f64()
}

/// ripgrep's matches per (file, line, detector): one untimed run per detector's regex.
fn rg_found(dir: &Path) -> Truth {
    let mut found = Truth::new();
    for (id, re) in DETECTORS {
        let out = Command::new("rg")
            .args(["--threads", "1", "--no-config", "-o", "-n", "-H", "-e", re])
            .arg(dir)
            .output()
            .expect("run rg");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(path), Some(n)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = Path::new(path)
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            if let Ok(n) = n.parse() {
                *found.entry((name, n, id.to_string())).or_default() += 1;
            }
        }
    }
    found
}

fn best<T>(runs: usize, mut f: impl FnMut() -> (f64, T)) -> (f64, T) {
    let mut best = f();
    for _ in 1..runs {
        let next = f();
        if next.0 < best.0 {
            best = next;
        }
    }
    best
}

/// The benchmark: prints MB/s of both, the ratio, and precision/recall of both.
pub fn classify_vs_ripgrep(mb: u64, data: &Path) {
    let dir = data.join(format!("classify-corpus-{mb}mb"));
    let (truth, bytes) = generate(&dir, mb * 1_000_000, 40, 0x5EED);
    let (classify_s, report) = best(3, || run_classify(&dir));
    let (rg_s, ()) = best(3, || (run_rg_count(&dir), ()));
    let mbytes = bytes as f64 / 1e6;
    let (cp, cr, planted, creported, _) = score(&truth, &found_in_report(&report));
    let (rp, rr, _, rreported, _) = score(&truth, &rg_found(&dir));
    println!(
        "classify vs ripgrep, {mbytes:.0} MB corpus, {} detectors, {planted} planted values:",
        DETECTORS.len()
    );
    println!(
        "  s3connector classify  {:>8.1} MB/s  precision {:.4}  recall {:.4}  ({creported} reported)",
        mbytes / classify_s,
        cp,
        cr
    );
    println!(
        "  rg --count-matches    {:>8.1} MB/s  precision {:.4}  recall {:.4}  ({rreported} matches)",
        mbytes / rg_s,
        rp,
        rr
    );
    println!("  throughput ratio classify/rg: {:.2}x", rg_s / classify_s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3connector::classify::{Classifier, ClassifyConfig, ObjectFormat, SampleLimits};

    /// A small corpus through the library: every planted value found on its line, no
    /// near miss or decoy reported (the full run, timed against ripgrep, is `make bench`).
    #[test]
    fn small_corpus_full_recall_and_precision() {
        let dir = std::env::temp_dir().join(format!("s3c-bench-smoke-{}", std::process::id()));
        let (truth, _) = generate(&dir, 400_000, 20, 7);
        let classifier = Classifier::new(ClassifyConfig {
            detectors: Some(DETECTORS.iter().map(|(id, _)| id.to_string()).collect()),
            max_locations: usize::MAX,
            hmac_key: Some("bench".into()),
            ..ClassifyConfig::default()
        })
        .unwrap();
        let mut objects = Vec::new();
        for name in ["app.log", "orders.csv", "events.ndjson", "notes.txt"] {
            let path = dir.join(name);
            let head = std::fs::read(&path).unwrap();
            let format = ObjectFormat::detect(name, &head[..head.len().min(4096)]);
            let report = classifier
                .classify_file(&format, &path, &SampleLimits::NONE)
                .unwrap();
            objects.push(serde_json::json!({
                "path": path.display().to_string(),
                "findings": report.findings,
            }));
        }
        let found = found_in_report(&serde_json::json!({ "objects": objects }));
        let (precision, recall, planted, reported, _) = score(&truth, &found);
        assert!(planted > 100, "{planted} planted");
        let missed: Vec<_> = truth
            .keys()
            .filter(|k| !found.contains_key(*k))
            .take(5)
            .collect();
        let extra: Vec<_> = found
            .keys()
            .filter(|k| !truth.contains_key(*k))
            .take(5)
            .collect();
        assert_eq!(recall, 1.0, "missed {missed:?}");
        assert_eq!(precision, 1.0, "{reported} reported; extra {extra:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
