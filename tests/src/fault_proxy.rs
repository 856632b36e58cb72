//! A loopback HTTP proxy between the functions and the emulator that injects the faults
//! moto cannot produce: 500 InternalError, 503 SlowDown and 403 AccessDenied answers, connection resets,
//! slow answers and calls that are never answered.
//!
//! The real SDK points at the proxy (`endpoint_url`, path-style S3); every request is
//! named by its AWS operation ([`FakeCall::operation`]) and either forwarded to the
//! emulator byte for byte or answered with a fault, while a [`Rule`] for that operation
//! has faults left. Every call is logged with what was done to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::fake_aws::{s3_error, FakeCall};

/// What the proxy does to a call a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `500 InternalError` (S3 REST XML) without forwarding.
    InternalError,
    /// Answer `503 SlowDown` (S3's throttling answer) without forwarding.
    SlowDown,
    /// Answer `403 AccessDenied` without forwarding: an IAM denial, which moto does not
    /// enforce by default.
    AccessDenied,
    /// Close the connection with a TCP reset after reading the request.
    Reset,
    /// Forward, but hold the answer back this long first.
    Slow(Duration),
    /// Read the request and never answer (until the proxy is dropped).
    Timeout,
    /// Forward, send the answer's headers and the first bytes of its body, then stall
    /// (until the proxy is dropped): a GetObject body that stops arriving.
    StallBody,
}

/// Injects `fault` into the next `times` calls of `operation` whose path contains
/// `path_contains` (empty: any path).
#[derive(Debug, Clone)]
pub struct Rule {
    /// AWS operation name, as [`FakeCall::operation`] gives it (`GetObject`, `PutObject`...).
    pub operation: &'static str,
    /// Only calls whose path contains this (a bucket or key fragment); empty for all.
    pub path_contains: String,
    /// The fault.
    pub fault: Fault,
    /// How many more calls get it.
    pub times: usize,
}

/// One call through the proxy: its operation, path, and the fault it got (if any).
#[derive(Debug, Clone)]
pub struct Seen {
    /// AWS operation.
    pub operation: &'static str,
    /// Path and query.
    pub path: String,
    /// The fault injected, or `None` when forwarded untouched.
    pub fault: Option<Fault>,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`: use as the clients' endpoint.
    pub url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (`http://127.0.0.1:<port>`).
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let proxy = FaultProxy {
            url,
            rules: Arc::default(),
            seen: Arc::default(),
            stop: Arc::default(),
        };
        let (rules, seen, stop) = (proxy.rules.clone(), proxy.seen.clone(), proxy.stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (rules, seen, stop, upstream) =
                    (rules.clone(), seen.clone(), stop.clone(), upstream.clone());
                thread::spawn(move || serve(stream, &upstream, &rules, &seen, &stop));
            }
        });
        proxy
    }

    /// Adds a rule (rules are tried in the order added).
    pub fn inject(&self, operation: &'static str, path_contains: &str, fault: Fault, times: usize) {
        self.rules.lock().unwrap().push(Rule {
            operation,
            path_contains: path_contains.to_string(),
            fault,
            times,
        });
    }

    /// Removes every rule left: from now on every call is forwarded.
    pub fn heal(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// Every call so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many calls got a fault.
    pub fn faults_injected(&self) -> usize {
        self.seen().iter().filter(|s| s.fault.is_some()).count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// A request as read off the wire: the bytes to forward and what it is.
struct Request {
    raw: Vec<u8>,
    call: FakeCall,
}

fn serve(
    client: TcpStream,
    upstream: &str,
    rules: &Mutex<Vec<Rule>>,
    seen: &Mutex<Vec<Seen>>,
    stop: &AtomicBool,
) {
    let Ok(mut writer) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    {
        let operation = request.call.operation();
        let fault = {
            let mut rules = rules.lock().unwrap();
            rules
                .iter_mut()
                .find(|r| {
                    r.times > 0
                        && r.operation == operation
                        && request.call.path.contains(&r.path_contains)
                })
                .map(|r| {
                    r.times -= 1;
                    r.fault.clone()
                })
        };
        seen.lock().unwrap().push(Seen {
            operation,
            path: request.call.path.clone(),
            fault: fault.clone(),
        });
        let answer = match fault {
            Some(Fault::InternalError) => canned(s3_error(
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )),
            Some(Fault::SlowDown) => canned(s3_error(
                503,
                "SlowDown",
                "Please reduce your request rate.",
            )),
            Some(Fault::AccessDenied) => canned(s3_error(403, "AccessDenied", "Access Denied")),
            Some(Fault::Reset) => {
                // SO_LINGER 0: closing sends RST instead of FIN.
                let _ = socket2::SockRef::from(&writer).set_linger(Some(Duration::ZERO));
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Timeout) => {
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Some(Fault::StallBody) => {
                if let Some(answer) = forward(upstream, &request.raw) {
                    let head = answer
                        .windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .map_or(answer.len(), |i| i + 4);
                    let cut = (head + 16).min(answer.len());
                    let _ = writer.write_all(&answer[..cut]);
                }
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Some(Fault::Slow(pause)) => {
                thread::sleep(pause);
                forward(upstream, &request.raw)
            }
            None => forward(upstream, &request.raw),
        };
        let Some(answer) = answer else { return };
        if writer.write_all(&answer).is_err() {
            return;
        }
        // The upstream closes after each answer (we ask it to); so do we, which also
        // frees us from parsing the answer's framing. The SDK opens a new connection.
        let _ = writer.shutdown(Shutdown::Both);
    }
}

fn canned((status, headers, body): crate::fake_aws::Answer) -> Option<Vec<u8>> {
    let mut text = format!(
        "HTTP/1.1 {status} Fault\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&body);
    Some(text.into_bytes())
}

/// Sends `raw` to the upstream on a new connection and returns its whole answer
/// (the request asks the upstream to close, so the answer ends at end of stream).
fn forward(upstream: &str, raw: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.write_all(raw).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// Reads one request, keeping its bytes (with `connection: close` for the upstream) and
/// decoding enough of it to name its operation.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut raw = line.clone().into_bytes();
    let (mut length, mut chunked, mut target) = (0usize, false, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let trimmed = header.trim_end();
        if trimmed.is_empty() {
            raw.extend_from_slice(b"connection: close\r\n\r\n");
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "x-amz-target" => target = Some(value.to_string()),
            "connection" => continue,
            _ => {}
        }
        raw.extend_from_slice(header.as_bytes());
    }
    let body_start = raw.len();
    if chunked {
        // Keep the chunk framing as sent: the upstream decodes it.
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            raw.extend_from_slice(size.as_bytes());
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            if n == 0 {
                // Trailers (if any) up to the empty line.
                loop {
                    let mut trailer = String::new();
                    reader.read_line(&mut trailer).ok()?;
                    raw.extend_from_slice(trailer.as_bytes());
                    if trailer.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            raw.extend_from_slice(&chunk);
        }
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        raw.extend_from_slice(&body);
    }
    let body = String::from_utf8_lossy(&raw[body_start..]).into_owned();
    Some(Request {
        call: FakeCall {
            method,
            path,
            target,
            body,
        },
        raw,
    })
}
