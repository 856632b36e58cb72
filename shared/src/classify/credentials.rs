//! Credential detectors: cloud keys, service tokens, private keys, passwords.

use base64::Engine as _;

use super::checksum::entropy;
use super::detector::{is_word, Candidate, Category, Confidence, Detector, Need, Rule, Verdict};
use super::tokens;

const HIGH: Need = Need::Alone(Confidence::High);

/// Words that make a name a secret's name (as a regex alternation); `auth_key` for
/// WordPress's `AUTH_KEY` and `SECURE_AUTH_KEY` salts.
macro_rules! secret_names {
    () => {
        r"password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credential"
    };
}

/// What joins a name to its value: `=`, `:`, PHP's and Ruby's `=>`, Go's `:=`, a
/// comparison's `==` / `===`, or the `,` of a quoted argument pair; the name may be
/// quoted or indexed (`["password"] =`).
macro_rules! assignment_operator {
    () => {
        r#"(?:["']?\]?[ \t]*(?:=>|:=|={1,3}|:)|["'][ \t]*,)"#
    };
}

/// `name = value` and `"name": "value"` assignments whose name says secret (or ends in
/// `_pass`: `DB_PASS`, `SMTP_PASS`); shared by the
/// AWS secret key and the generic password detectors (AWS is tried first). Also the
/// name as a quoted key or argument: `os.environ["PASSWORD"] = ...`, PHP's
/// `define('DB_PASSWORD', '...')`, `config.set("password", "...")`; and csh's
/// `setenv PASSWORD ...` and a Dockerfile's `ENV DB_PASSWORD ...`, name and value
/// separated by blanks.
/// The name around the secret word is bounded (64 characters each side): unbounded, a
/// long run of word characters kept the regex's DFA scanning to the end of the run at
/// every candidate in it, quadratic in the run's length.
pub(crate) const ASSIGNMENT: &str = concat!(
    r#"(?i)(?:(?-i:\bsetenv|\bENV)[ \t]+[A-Za-z0-9_.\-]{0,64}(?:"#,
    secret_names!(),
    r#")[A-Za-z0-9_.\-]{0,64}[ \t]+|[A-Za-z0-9_.\-]{0,64}(?:"#,
    secret_names!(),
    r#")[A-Za-z0-9_.\-]{0,64}"#,
    assignment_operator!(),
    r#"|(?:[A-Za-z0-9_.\-]{0,64}[_.\-]|\b)pass"#,
    assignment_operator!(),
    r#")[ \t]*["']?[^\s"',;]{6,200}"#
);

/// For a column name or JSON key that says secret (`password`, `api_key`, `DbSecret`), the
/// name as it would stand on the left of an assignment; `None` for other names. A value
/// under such a name is classified as that assignment (`api_key=<value>`), so structured
/// data, where the name is not in the value's text, is held to the same rules as text.
pub(crate) fn secret_assignment_name(name: &str) -> Option<String> {
    static SECRET_NAME: std::sync::LazyLock<regex_automata::meta::Regex> =
        std::sync::LazyLock::new(|| {
            regex_automata::meta::Regex::new(concat!("(?i)", secret_names!()))
                .expect("a valid pattern")
        });
    // Characters an assignment's name cannot hold become `_` (so `API Key` is `API_Key`).
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Docker's and npm's `auth` / `_auth` settings hold base64 `user:password`.
    let auth = plain.eq_ignore_ascii_case("auth") || plain.eq_ignore_ascii_case("_auth");
    ((SECRET_NAME.is_match(&plain) && !names_a_reference(plain.as_bytes())) || auth)
        .then_some(plain)
}

const AWS_SECRET_DESCRIPTION: &str = "AWS secret access key: 40 base64 characters of high entropy, named as one (aws_secret_access_key = ..., SecretAccessKey, secret_key, a CSV column or JSON key of such a name, or a keyword nearby)";
const AWS_SECRET_KEYWORDS: &[&str] = &[
    "aws_secret_access_key",
    "secret access key",
    "secret_access_key",
    "secretaccesskey",
    "aws secret",
    "secret key",
];

/// Detectors whose values can be longer than the window overlap and whose pattern does
/// not match at all when cut short, with a pattern matching (greedily) any beginning of
/// such a value: when one reaches the end of a window's bytes, the engine reads further
/// before deciding. (A match that itself reaches the end is deferred for every detector.)
pub(crate) const LONG_VALUE_OPENERS: &[(&str, &str)] = &[
    (
        "private_key",
        r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,.()\\\-]*",
    ),
    (
        "jwt",
        r"\b(?:eyJ|eyA|ewo|ew0K)[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*){0,2}",
    ),
];

/// The credential detectors, in the order the pass tries them.
pub(crate) const DETECTORS: &[Detector] = &[
    Detector {
        id: "private_key",
        category: Category::Credentials,
        description: "Private key block (PEM PKCS#1/PKCS#8/EC, OpenSSH, PGP): BEGIN and matching END lines around a base64 body, not a header alone",
        keywords: &[],
        rule: Rule::Pattern {
            // The body's alphabet (base64, line breaks, PEM and PGP header lines) keeps the
            // lazy match inside one block; `max_value_bytes` bounds its length.
            regex: r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,.()\\\-]{64,}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
            check: private_key,
        },
    },
    Detector {
        id: "aws_access_key_id",
        category: Category::Credentials,
        description: "AWS access key id: AKIA/ASIA/ABIA/ACCA/A3T prefix and 16 base32 characters, placeholders excluded",
        keywords: &["aws_access_key_id", "access key", "aws"],
        rule: Rule::Pattern {
            regex: r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b",
            check: |c| tokens::token(c, 4),
        },
    },
    Detector {
        id: "github_token",
        category: Category::Credentials,
        description: "GitHub token: ghp_/gho_/ghu_/ghs_/ghr_ with 36 base62 characters, github_pat_ fine-grained token, or ghs_<app id>_<JWT> stateless installation token; placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}|ghs_[0-9]{1,12}_[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
            check: tokens::github,
        },
    },
    Detector {
        id: "gitlab_token",
        category: Category::Credentials,
        description: "GitLab personal, project or group access token (glpat- and 20 or more characters), placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\bglpat-[A-Za-z0-9_\-]{20,64}\b",
            check: |c| tokens::token(c, 6),
        },
    },
    Detector {
        id: "slack_token",
        category: Category::Credentials,
        description: "Slack token: bot, user, workspace, refresh and legacy (xoxb-, xoxp-, xoxa-2-, xoxr-, xoxs-, xoxo-), configuration access and refresh (xoxe.xoxp-1-, xoxe-1-), rotating user (xoxe-), app-level (xapp-1-), or an incoming or workflow webhook URL (http or https); placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\b(?:xox[abprso]-[0-9]{1,13}-[A-Za-z0-9\-]{10,}|xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{40,}|xoxe-[0-9]{10,}-[A-Za-z0-9\-]{20,}|xapp-[0-9]-[A-Z0-9]{9,}-[0-9]{10,}-[a-f0-9]{32,})|https?://hooks\.slack\.com/(?:services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}|workflows/T[A-Z0-9]{6,}/A[A-Z0-9]{6,}/[0-9]{10,})/[A-Za-z0-9]{20,}",
            check: tokens::slack,
        },
    },
    Detector {
        id: "stripe_key",
        category: Category::Credentials,
        description: "Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_), placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{24,99}\b",
            check: |c| tokens::token(c, 8),
        },
    },
    Detector {
        id: "google_api_key",
        category: Category::Credentials,
        description: "Google API key (AIza and 35 characters); placeholders and the Firebase SDK's sample keys excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\bAIza[0-9A-Za-z_\-]{35}",
            check: |c| tokens::bounded_token(c, 4),
        },
    },
    Detector {
        id: "twilio_api_key",
        category: Category::Credentials,
        description: "Twilio API key SID (SK and 32 hex digits)",
        keywords: &["twilio"],
        rule: Rule::Pattern {
            regex: r"\bSK[0-9a-f]{32}\b",
            check: |c| Some(Verdict::whole(c, Need::Alone(Confidence::Medium))),
        },
    },
    Detector {
        id: "sendgrid_api_key",
        category: Category::Credentials,
        description: "SendGrid API key (SG. 22 characters . 43 characters), placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
            check: |c| tokens::bounded_token(c, 3),
        },
    },
    Detector {
        id: "npm_token",
        category: Category::Credentials,
        description: "npm access token (npm_ and 36 base62 characters), placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\bnpm_[A-Za-z0-9]{36}\b",
            check: |c| tokens::token(c, 4),
        },
    },
    Detector {
        id: "azure_storage_connection_string",
        category: Category::Credentials,
        description: "Azure Storage account key (88 base64 characters ending in ==) named as one: AccountKey= in a connection string (any order, any line), account_key, storageAccountKey, AZURE_STORAGE_KEY...; the storage emulator's published key excluded",
        keywords: &[],
        rule: Rule::Pattern {
            // The name, then up to 24 bytes of quotes, operators, brackets and blanks
            // (`=`, `: '`, `", "`, `'], '`, `{\n    "`, ` ||\n  "`), then the key;
            // `tokens::azure_storage_key` checks the value is whole.
            regex: r#"(?i:account|storage)[_\-.]?(?i:access[_\-.]?)?(?i:key)[0-9]?[^A-Za-z0-9+/]{1,24}[A-Za-z0-9+/]{86}=="#,
            check: tokens::azure_storage_key,
        },
    },
    Detector {
        id: "azure_sas_token",
        category: Category::Credentials,
        description: "Azure shared access signature: the sig= of a SAS URL or query string that carries the service version (sv=)",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"[?&]sv=[0-9]{4}-[0-9]{2}-[0-9]{2}(?:&[A-Za-z]{1,8}=[A-Za-z0-9%:\-._]{0,64}){0,12}&sig=[A-Za-z0-9%+/]{40,}",
            check: tokens::azure_sas,
        },
    },
    Detector {
        id: "jwt",
        category: Category::Credentials,
        description: "JSON Web Token: three base64url parts whose header decodes to a JSON object with alg (compact or pretty-printed); unsigned (nothing after the second dot) only with alg none",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\b(?:eyJ|eyA|ewo|ew0K)[A-Za-z0-9_\-]{8,}\.(?:eyJ|eyA|ewo|ew0K)[A-Za-z0-9_\-]{4,}\.(?:[A-Za-z0-9_\-]{10,}|[^A-Za-z0-9_\-.]|\z)",
            check: tokens::jwt,
        },
    },
    Detector {
        id: "jwt",
        category: Category::Credentials,
        description: "JSON Web Token folded across lines (a YAML plain, quoted or block scalar, a fixed-width wrap): the whole lines joined must be three base64url parts whose header decodes to a JSON object with alg",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\beyJ[A-Za-z0-9_\-.]{8,}(?:\\?\r?\n[ \t]*[A-Za-z0-9_\-.]+)+",
            check: folded_jwt,
        },
    },
    Detector {
        id: "url_password",
        category: Category::Credentials,
        description: "Password in a URL (scheme://user:password@host, the user may be empty), placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:@/]{0,64}:[^\s:@/]{1,128}@[A-Za-z0-9.\-]{1,253}",
            check: url_password,
        },
    },
    Detector {
        id: "http_basic_auth",
        category: Category::Credentials,
        description: BASIC_AUTH_DESCRIPTION,
        keywords: &[],
        rule: Rule::Pattern {
            // `Basic <token>` (RFC 7617's scheme name is case-insensitive; these are the
            // spellings in use), Docker's config.json `"auth": "<token>"` and npm's
            // .npmrc `_auth=<token>`. A JSON key `auth` reaches the pass as
            // `auth=<value>`, see `secret_assignment_name`.
            regex: r#"(?:\b(?:Basic|basic|BASIC) +|"auth"[ \t]*:[ \t]*"|\b_?auth[ \t]*=[ \t]*"?)[A-Za-z0-9+/]{6,}={0,2}"#,
            check: basic_auth,
        },
    },
    Detector {
        id: "aws_secret_access_key",
        category: Category::Credentials,
        description: AWS_SECRET_DESCRIPTION,
        keywords: AWS_SECRET_KEYWORDS,
        rule: Rule::Pattern {
            regex: ASSIGNMENT,
            check: aws_secret_assignment,
        },
    },
    Detector {
        id: "generic_secret",
        category: Category::Credentials,
        description: "Assignment of a password, secret, token or key (password=..., \"secret\": ...) with a high-entropy value, placeholders excluded",
        keywords: &[],
        rule: Rule::Pattern {
            regex: ASSIGNMENT,
            check: generic_secret,
        },
    },
    Detector {
        id: "aws_secret_access_key",
        category: Category::Credentials,
        description: AWS_SECRET_DESCRIPTION,
        keywords: AWS_SECRET_KEYWORDS,
        rule: Rule::Pattern {
            regex: r"[A-Za-z0-9/+]{40}",
            check: aws_secret_alone,
        },
    },
];

/// A private key block: BEGIN and END name the same key type, and the body holds a
/// base64 payload (a header line alone, or a `...` placeholder, is not a key).
fn private_key(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let text = std::str::from_utf8(b).ok()?;
    let begin_end = text
        .find("-----\n")
        .or_else(|| text.find("-----\r\n"))
        .or_else(|| text[5..].find("-----").map(|i| i + 5))?;
    let begin_type = text[11..begin_end].trim_end_matches("-----");
    let end_at = text.rfind("-----END ")?;
    let end_type = text[end_at + 9..].trim_end_matches('-');
    if begin_type != end_type {
        return None;
    }
    let body = &text[begin_end..end_at];
    let payload: usize = body
        .lines()
        .filter(|l| !l.contains(':'))
        .map(|l| {
            l.bytes()
                .filter(|x| x.is_ascii_alphanumeric() || matches!(x, b'+' | b'/' | b'='))
                .count()
        })
        .sum();
    (payload >= 64 && entropy(body.as_bytes()) > 4.0).then(|| Verdict::whole(c, HIGH))
}

/// A JWT folded across lines: the candidate is a run of base64url characters ending its
/// line (a YAML double-quoted scalar may end it with `\\`), then lines holding only such
/// characters (after indentation). The lines are joined while each is whole (it ends at
/// its line end, a closing quote or the end of the text); the longest join that is a JWT
/// (three parts, the header decoding to JSON with `alg`) is the value. A line that is
/// not whole (`user: bob` after the token) ends the join.
fn folded_jwt(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let mut compact: Vec<u8> = Vec::with_capacity(b.len());
    // (compact length, candidate offset) after each whole line.
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-' | b'.')) {
            i += 1;
        }
        compact.extend_from_slice(&b[start..i]);
        let next = b.get(i).copied().or(c.after());
        if !matches!(next, None | Some(b'\\' | b'\r' | b'\n' | b'"' | b'\'')) {
            break;
        }
        ends.push((compact.len(), i));
        // The fold: `\\`, the line break, the indentation.
        while i < b.len() && matches!(b[i], b'\\' | b'\r' | b'\n' | b' ' | b'\t') {
            i += 1;
        }
    }
    ends.iter().rev().find_map(|&(n, end)| {
        let token = &compact[..n];
        let parts: Vec<&[u8]> = token.split(|&x| x == b'.').collect();
        let shaped = parts.len() == 3
            && parts[0].len() >= 11
            && parts[1].starts_with(b"eyJ")
            && parts[1].len() >= 7
            && parts[2].len() >= 10;
        (shaped && super::tokens::jwt_alg(parts[0]).is_some()).then_some(Verdict {
            span: 0..end,
            need: HIGH,
        })
    })
}

/// Values that stand for a password rather than being one.
fn placeholder(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    let starts = |p: &[u8]| lower.starts_with(p);
    starts(b"${")
        // Templates: `{{var}}`, `{password}`, `{key}/{scope}`.
        || starts(b"{")
        || starts(b"<")
        || starts(b"%")
        || starts(b"$(")
        || starts(b"[")
        || lower.iter().all(|&x| x == b'*' || x == b'x' || x == b'.')
        || [
            &b"password"[..],
            b"passwd",
            b"changeme",
            b"secret",
            b"example",
            b"redacted",
            b"fake",
            b"dummy",
            b"placeholder",
            b"your",
            b"none",
            b"null",
            b"true",
            b"false",
            b"undefined",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// `scheme://user:password@host`: the password is the value; placeholders are skipped.
fn url_password(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let after_scheme = b.windows(3).position(|w| w == b"://")? + 3;
    let colon = after_scheme + b[after_scheme..].iter().position(|&x| x == b':')?;
    let at = colon + b[colon..].iter().position(|&x| x == b'@')?;
    let password = &b[colon + 1..at];
    (!placeholder(password) && !url_placeholder(password)).then(|| Verdict {
        span: colon + 1..at,
        need: HIGH,
    })
}

/// The stand-ins documentation writes in URLs' user info (`user:pass`, `foo:bar`,
/// `abc:xyz`, `a:b`), compared whole, case ignored; and passwords of one or two
/// characters.
fn url_placeholder(password: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "pass",
        "pwd",
        "pw",
        "foo",
        "bar",
        "baz",
        "qux",
        "abc",
        "xyz",
        "test",
        "demo",
        "user",
        "username",
        "guest",
        "anonymous",
    ];
    password.len() <= 2
        || WORDS
            .iter()
            .any(|w| password.eq_ignore_ascii_case(w.as_bytes()))
}

const BASIC_AUTH_DESCRIPTION: &str = "HTTP Basic credentials (Macie's HTTP_BASIC_AUTH_HEADER): base64 of user:password after `Basic ` (an Authorization or Proxy-Authorization header), or in Docker's config.json `auth` and npm's `_auth`; the value must decode to printable `user:password`, placeholders excluded";

/// Whether `b64` (standard alphabet, padding optional) decodes to printable
/// `user:password` text with a password that is not a placeholder (RFC 7617's
/// user-pass; the user may be empty).
fn basic_credentials(b64: &[u8]) -> bool {
    let trimmed = b64.strip_suffix(b"==").or_else(|| b64.strip_suffix(b"="));
    let Ok(decoded) =
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed.unwrap_or(b64))
    else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    let Some((_, password)) = text.split_once(':') else {
        return false;
    };
    !password.is_empty() && !text.chars().any(char::is_control) && !placeholder(password.as_bytes())
}

/// The base64 token at the end of a candidate (`=` only as its closing padding).
fn trailing_token(b: &[u8]) -> std::ops::Range<usize> {
    let body = b.len() - b.iter().rev().take_while(|&&x| x == b'=').count();
    let start = b[..body]
        .iter()
        .rposition(|&x| !(x.is_ascii_alphanumeric() || matches!(x, b'+' | b'/')))
        .map_or(0, |i| i + 1);
    start..b.len()
}

/// `Basic <base64>`, Docker's `"auth": "<base64>"` and npm's `_auth=<base64>`: the token,
/// when it is the whole word and decodes to credentials.
fn basic_auth(c: &Candidate<'_>) -> Option<Verdict> {
    if is_word(c.after()) || matches!(c.after(), Some(b'+' | b'/' | b'=')) {
        return None;
    }
    let span = trailing_token(c.bytes());
    basic_credentials(&c.bytes()[span.clone()]).then_some(Verdict { span, need: HIGH })
}

/// An assignment's name and the span of its value (after the operator, blanks and an
/// opening quote). The name is everything before the operator: `=` or `:`, the `,` after
/// a quoted name (`define('DB_PASSWORD', ...)`), or the blanks after the name of
/// `setenv NAME value`.
pub(crate) fn assignment_parts(b: &[u8]) -> Option<(&[u8], std::ops::Range<usize>)> {
    let blank = |x: &u8| matches!(x, b' ' | b'\t');
    let word = [&b"setenv"[..], b"ENV"]
        .into_iter()
        .find(|w| b.starts_with(w) && b.get(w.len()).is_some_and(blank))
        .map(<[u8]>::len);
    let spaced = word.is_some();
    let from = word.map_or(0, |word| {
        word + b[word..].iter().take_while(|x| blank(x)).count()
    });
    let name_end = from
        + b[from..]
            .iter()
            .take_while(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
            .count();
    let mut op = name_end;
    while op < b.len() && matches!(b[op], b'"' | b'\'' | b']' | b' ' | b'\t') {
        op += 1;
    }
    let mut start = match b.get(op) {
        // `=>`, `:=`, `==`, `===`.
        Some(b'=') if b.get(op + 1) == Some(&b'>') => op + 2,
        Some(b':') if b.get(op + 1) == Some(&b'=') => op + 2,
        Some(b'=') => {
            op + 1
                + b[op + 1..]
                    .iter()
                    .take(2)
                    .take_while(|&&x| x == b'=')
                    .count()
        }
        Some(b':' | b',') => op + 1,
        _ if spaced && op > name_end => op,
        _ => return None,
    };
    while start < b.len() && matches!(b[start], b' ' | b'\t' | b'"' | b'\'') {
        start += 1;
    }
    Some((&b[..op.min(b.len())], start..b.len()))
}

/// Whether the assignment gives its value as the second argument of a call or a pair
/// after a quoted name (`define('DB_PASSWORD', '...')`, `config.set("password", "...")`).
fn argument_form(b: &[u8], name: &[u8]) -> bool {
    b.get(name.len()) == Some(&b',')
}

fn base64ish(v: &[u8]) -> bool {
    v.iter()
        .all(|&x| x.is_ascii_alphanumeric() || x == b'/' || x == b'+')
}

/// Mixed case, digits or symbols and high entropy: what a generated AWS secret looks like
/// (hex digests and words do not pass).
fn aws_secret_shape(v: &[u8]) -> bool {
    v.len() == 40
        && base64ish(v)
        && v.iter().any(u8::is_ascii_uppercase)
        && v.iter().any(u8::is_ascii_lowercase)
        && entropy(v) > 4.0
}

fn aws_secret_assignment(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let (name, value) = assignment_parts(b)?;
    // The name's letters and digits: `aws_secret_access_key`, `SecretAccessKey`,
    // `secret-key` and `secret_key` (s3cmd, a CSV column) all name one.
    let name: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    let named = name.windows(6).any(|w| w == b"secret")
        && (name.windows(3).any(|w| w == b"aws")
            || name.windows(6).any(|w| w == b"access")
            || name.ends_with(b"secretkey"));
    (named && aws_secret_shape(&b[value.clone()])).then_some(Verdict {
        span: value,
        need: HIGH,
    })
}

fn aws_secret_alone(c: &Candidate<'_>) -> Option<Verdict> {
    let alone = !is_word(c.before())
        && !matches!(c.before(), Some(b'/' | b'+'))
        && !is_word(c.after())
        && !matches!(c.after(), Some(b'/' | b'+' | b'='));
    (alone && aws_secret_shape(c.bytes())).then(|| Verdict::whole(c, Need::Keyword))
}

/// Name endings that say the value refers to a secret rather than holds one: its id,
/// ARN, name, hash, file, reference, type or address (`accessKeyId`, `private_key_id`,
/// `secretArn`, `passwordHash`, `api_key_file`, `token_type`, `token_uri`).
const REFERENCE_SUFFIXES: &[&str] = &[
    "id", "ids", "arn", "name", "hash", "file", "path", "ref", "type", "uri", "url", "endpoint",
];

/// Whether a secret's name says its value is a reference to the secret (see
/// [`REFERENCE_SUFFIXES`]): the suffix must begin a word (`_id`, `-id`, `.id`, `KeyId`).
pub(crate) fn names_a_reference(name: &[u8]) -> bool {
    let name = name.trim_ascii_end();
    let name = name
        .strip_suffix(b"\"")
        .or_else(|| name.strip_suffix(b"'"))
        .unwrap_or(name);
    let name = name
        .strip_prefix(b"\"")
        .or_else(|| name.strip_prefix(b"'"))
        .unwrap_or(name);
    // A hash of the secret (`hashed_secret` in a detect-secrets baseline,
    // `hash_password`), and a shell's working directories (`PWD`, `OLDPWD`).
    let hashed = ["hashed", "hash"].iter().any(|p| {
        name.len() > p.len()
            && name[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            && matches!(name[p.len()], b'_' | b'-' | b'.' | b'A'..=b'Z')
    });
    if hashed || name == b"PWD" || name == b"OLDPWD" {
        return true;
    }
    REFERENCE_SUFFIXES.iter().any(|suffix| {
        let n = suffix.len();
        if name.len() <= n || !name[name.len() - n..].eq_ignore_ascii_case(suffix.as_bytes()) {
            return false;
        }
        let first = name[name.len() - n];
        let before = name[name.len() - n - 1];
        matches!(before, b'_' | b'-' | b'.')
            || (first.is_ascii_uppercase() && before.is_ascii_lowercase())
    })
}

/// Whether an assigned value is code that reads a secret from elsewhere, or points to
/// something, not a secret: a call (`config.get(`, `get_random_secret_key()`), an index,
/// a dotted name (`process.env.JWT_SECRET`, `settings.STRIPE_API_KEY`,
/// `user.passwordHash`), an ARN or a URL. A quoted value is a string, whatever brackets
/// it holds (a generated salt has `(` and `[`).
fn code_reference(v: &[u8], quoted: bool) -> bool {
    // A call, an index (`line[start:pos]`, `os.environ["DB_PASSWORD"]`), a resource's ARN
    // or a URL without user info (`https://oauth2.googleapis.com/token`).
    if (!quoted && (v.contains(&b'(') || v.contains(&b'[')))
        || v.starts_with(b"arn:")
        || v.starts_with(b"http://")
        || v.starts_with(b"https://")
    {
        return true;
    }
    dotted_name(v)
}

/// A dotted name (`process.env.JWT_SECRET`, `settings.STRIPE_API_KEY`): identifiers
/// joined by `.`.
fn dotted_name(v: &[u8]) -> bool {
    let identifier = |part: &[u8]| {
        part.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    v.contains(&b'.') && v.split(|&b| b == b'.').all(identifier)
}

/// An unquoted value that is a type, as parameter and field annotations write one
/// (`&ConnectionSecrets`, `Option<&AccessToken>`, `Arc<Mutex<Token>>`, `*Secret`,
/// `[]byte`, `std::string::String`): identifiers with a reference, pointer, slice or
/// path mark or type arguments, and nothing else.
fn type_expression(v: &[u8]) -> bool {
    let marked = matches!(v.first(), Some(b'&' | b'*' | b'['))
        || v.contains(&b'<')
        || v.windows(2).any(|w| w == b"::");
    marked
        && v.iter().any(u8::is_ascii_alphabetic)
        && v.iter().all(|x| {
            x.is_ascii_alphanumeric()
                || matches!(
                    x,
                    b'_' | b'&'
                        | b'*'
                        | b'['
                        | b']'
                        | b'<'
                        | b'>'
                        | b':'
                        | b'('
                        | b')'
                        | b'?'
                        | b'\''
                        | b'.'
                        | b'{'
                        | b'}'
                        | b'|'
                )
        })
}

/// Code rather than a value, unquoted: a member through a pointer (`kem->secret_len`), a
/// constant's name (`MLKEM512_SECRET_KEY_BYTES`, two `_` or more and a word in it), a
/// decimal number (`3.82`), a variable or macro parameter (`$generate_private_key`), a
/// closure (`|tokens| ...`), the end of a comment (`*/MLKEM1024_...`), a negation of a
/// name (`!!extended_master_secret`), a macro call (`quote_spanned!`), a dotted name
/// closing a call (`self._authkey)`) or in arithmetic (`params.secret_len/2`), a number
/// with a type suffix (`1024i32`).
fn code_value(v: &[u8]) -> bool {
    let ident =
        |p: &[u8]| !p.is_empty() && p.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'_');
    let trimmed = v
        .iter()
        .rposition(|x| !matches!(x, b')' | b']' | b'}' | b',' | b'|' | b'>' | b':'))
        .map_or(&v[..0], |i| &v[..=i]);
    let constant = trimmed.first().is_some_and(u8::is_ascii_uppercase)
        && trimmed
            .iter()
            .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit() || *x == b'_')
        && trimmed.iter().filter(|&&x| x == b'_').count() >= 2
        && trimmed
            .split(|&x| x == b'_')
            .any(|w| w.len() >= 3 && w.iter().all(u8::is_ascii_uppercase));
    let decimal = v.iter().filter(|&&x| x == b'.').count() == 1
        && v.iter().all(|x| x.is_ascii_digit() || *x == b'.');
    let name_after = v
        .iter()
        .position(|&x| x != b'!')
        .map_or(&v[..0], |i| &v[i..]);
    let negated = v.starts_with(b"!") && identifier_without_digits(name_after);
    // A dotted name in arithmetic (`params.shared_secret_len/2`).
    let operand = trimmed
        .iter()
        .position(|x| matches!(x, b'*' | b'/' | b'+' | b'-'))
        .is_some_and(|i| {
            dotted_name(&trimmed[..i]) && trimmed[i + 1..].iter().all(u8::is_ascii_digit)
        });
    // A number with a Rust type suffix (`251658240i32`).
    let suffixed = {
        let digits = v.iter().take_while(|x| x.is_ascii_digit()).count();
        digits > 0
            && matches!(
                &v[digits..],
                b"i8"
                    | b"i16"
                    | b"i32"
                    | b"i64"
                    | b"i128"
                    | b"isize"
                    | b"u8"
                    | b"u16"
                    | b"u32"
                    | b"u64"
                    | b"u128"
                    | b"usize"
            )
    };
    v.windows(2).any(|w| w == b"->")
        || dotted_name(trimmed)
        || operand
        || suffixed
        || constant
        || decimal
        || (v.starts_with(b"$") && ident(&trimmed[1.min(trimmed.len())..]))
        || v.starts_with(b"|")
        || v.starts_with(b"*/")
        || negated
        || (v.ends_with(b"!") && ident(&v[..v.len() - 1]))
}

/// A typed binding's type, unquoted: `name: Type` where the type is one identifier
/// followed by `,`, `;`, `)`, `{` or `=` (a field `pub Token: D3DKMT_TOKEN_0,`, a
/// parameter, `let key: Pkcs8V1Der = ...`, `pub const X: Flag = 1;`).
fn typed_binding(c: &Candidate<'_>, name: &[u8], v: &[u8]) -> bool {
    let b = c.bytes();
    if b.get(name.len()) != Some(&b':') {
        return false;
    }
    let ident = v
        .first()
        .is_some_and(|x| x.is_ascii_alphabetic() || *x == b'_')
        && v.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'_');
    let rest = &c.hay[c.span.end..(c.span.end + 3).min(c.hay.len())];
    let follows = match rest {
        [b',' | b';' | b')' | b'{', ..] => true,
        [b' ', b'=', next] | [b'=', next, ..] => *next != b'=',
        [b' ', b'{', ..] => true,
        _ => false,
    };
    ident && follows
}

/// An AWS Signature Version 4 credential scope (`AKIDEXAMPLE/20150830/us-east-1/...`,
/// URL-encoded with `%2F`): the access key id and the scope, not a secret.
fn credential_scope(v: &[u8]) -> bool {
    let key = v
        .iter()
        .take_while(|x| x.is_ascii_alphanumeric() || **x == b'-')
        .count();
    let rest = &v[key..];
    let rest = rest
        .strip_prefix(b"/")
        .or_else(|| rest.strip_prefix(b"%2F"))
        .or_else(|| rest.strip_prefix(b"%2f"));
    key > 0 && rest.is_some_and(|r| r.len() >= 9 && r[..8].iter().all(u8::is_ascii_digit))
}

/// An unquoted absolute or home-relative file path (`/opt/bin/awscreds-custom`,
/// `~/.aws/token`): a setting that names where a secret is, not the secret.
fn file_path(v: &[u8]) -> bool {
    let drive =
        v.len() > 3 && v[0].is_ascii_alphabetic() && v[1] == b':' && matches!(v[2], b'\\' | b'/');
    if drive {
        return true;
    }
    (v.starts_with(b"/") || v.starts_with(b"~/") || v.starts_with(b"./"))
        && v.iter().filter(|&&x| x == b'/').count() >= 2
        && v.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'/' | b'_' | b'-' | b'.' | b'~'))
}

/// A secret assignment whose value is not a placeholder, not a reference to the secret
/// (its id or ARN, code that reads it) and has enough entropy to be generated or chosen
/// (at least 3 bits per character).
fn generic_secret(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let (name, value) = assignment_parts(b)?;
    if names_a_reference(name) {
        return None;
    }
    let v = &b[value.clone()];
    let v = v
        .strip_suffix(b"\"")
        .or_else(|| v.strip_suffix(b"'"))
        .unwrap_or(v);
    let quoted = matches!(b.get(value.start.wrapping_sub(1)), Some(b'"' | b'\''));
    // `name, value` counts only as a quoted name and a quoted value, and a value of
    // letters alone, or a lower-case identifier with at most one digit, is another name
    // there (`("token", "refresh_token")`, `("tokens", "symbol2label")`).
    let argument = argument_form(b, name);
    // A quoted literal under a name that says what it is (`define('DB_PASSWORD',
    // 'secret1')`, `password = "hunter2"`) is reported however weak it looks.
    // As an argument, the name must open the call or tuple (`define('DB_PASSWORD'`,
    // `.set("password"`): in a list of words (`'to', 'token', 'triple'`) it is a word.
    let before_name = c.preceding(8).trim_ascii_end();
    let before_name = before_name
        .strip_suffix(b"\"")
        .or_else(|| before_name.strip_suffix(b"'"))
        .unwrap_or(before_name);
    let opens_call = before_name.trim_ascii_end().ends_with(b"(");
    let literal = quoted
        && c.after() == b.get(value.start - 1).copied()
        && (!argument_form(b, name) || opens_call)
        && named_literal(name, v);
    let another_name = v
        .iter()
        .all(|x| x.is_ascii_alphabetic() || matches!(x, b'_' | b'-' | b'.'))
        || (v.first().is_some_and(u8::is_ascii_lowercase)
            && v.iter()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || *x == b'_')
            && v.iter().filter(|x| x.is_ascii_digit()).count() <= 1);
    let quoted_name = matches!(c.before(), Some(b'"' | b'\''));
    if argument && (!quoted || !quoted_name || (another_name && !literal)) {
        return None;
    }
    // `a::b` is a path (`use aws_credential_types::provider`), not `a: b`.
    if b.get(name.len()) == Some(&b':') && b.get(name.len() + 1) == Some(&b':') {
        return None;
    }
    if quoted && secret_word(name).is_some_and(|w| names_itself(w, v)) {
        return None;
    }
    if entry_point(v) || versioned(v) {
        return None;
    }
    if literal && !inside_a_string(c, name) && !credential_scope(v) {
        return Some(Verdict {
            span: value.start..value.start + v.len(),
            need: Need::Alone(Confidence::Medium),
        });
    }
    if v.len() < 8
        || placeholder(v)
        || code_reference(v, quoted)
        || entropy(v) < 3.0
        || inside_a_string(c, name)
        || (!quoted && (identifier_without_digits(v) || type_expression(v) || file_path(v)))
        || (!quoted && (code_value(v) || typed_binding(c, name, v)))
        || credential_scope(v)
        // Masked or counted-up stand-ins (`xoxp-1234-1234-1234-…`, `…-####`), as for
        // the vendors' tokens.
        || super::tokens::placeholder_token(v, c.after())
        // AWS documentation's example keys and tokens carry `EXAMPLE`.
        || v.windows(7).any(|w| w == b"EXAMPLE")
        || words(v)
    {
        return None;
    }
    Some(Verdict {
        span: value.start..value.start + v.len(),
        need: Need::Alone(Confidence::Medium),
    })
}

/// A Python entry point or a `module:function` reference (`detect_secrets.main:main` in a
/// setup.py's `console_scripts`): code, not a secret.
fn entry_point(v: &[u8]) -> bool {
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let Some(colon) = v.iter().position(|&c| c == b':') else {
        return false;
    };
    let (module, function) = (&v[..colon], &v[colon + 1..]);
    module.contains(&b'.') && module.split(|&c| c == b'.').all(ident) && ident(function)
}

/// A value ending in a three-part version number (`jjwt-jackson-0.11.2`, `client@2.1.0`): a package
/// or artifact name (Maven's `io.jsonwebtoken:jjwt-jackson-0.11.2`), not a secret.
fn versioned(v: &[u8]) -> bool {
    let Some(at) = v.iter().rposition(|c| matches!(c, b'-' | b'_' | b'@')) else {
        return false;
    };
    let version = &v[at + 1..];
    let parts: Vec<&[u8]> = version.split(|&c| c == b'.').collect();
    at > 0
        && parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_digit))
}

/// The words that make a name a secret's when it ends with one (`DB_PASSWORD`,
/// `client_secret`, `authToken`); `key` only after a separator or as a camel-case word
/// (`API_KEY`, `apiKey`, not `key` or `monkey`).
const LITERAL_NAME_WORDS: &[&str] = &["password", "passwd", "pwd", "passphrase", "secret", "token"];

/// Values that stand for a secret in a literal (compared whole, case ignored).
const LITERAL_PLACEHOLDERS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "changeme",
    "changeit",
    "example",
    "redacted",
    "placeholder",
    "dummy",
    "fake",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "default",
    "empty",
    "required",
    "optional",
    "string",
    "hidden",
    "masked",
    "unused",
    "bearer",
    "basic",
];

/// Parts that make a literal a placeholder wherever they are (`your-token-here`,
/// `sample_secret`, `xxxx1234`, and test fixtures' `xjtest`, `testsessiontoken`).
const LITERAL_PLACEHOLDER_PARTS: &[&str] = &[
    "test",
    "changeme",
    "example",
    "placeholder",
    "redacted",
    "your",
    "dummy",
    "sample",
    "xxxx",
    "...",
];

/// Whether a quoted literal `v` assigned to `name` is reported whatever its entropy:
/// the name ends with a secret's word (see [`LITERAL_NAME_WORDS`]), and the value is 6
/// characters or more, one token, not a placeholder (a word standing for the secret,
/// `<password>`, `***`, `${VAR}`, `$VAR`, `%VAR%`, `{{ var }}`), not a path, URL or
/// dotted name, and not a name holding the name's own word (`refresh_token`,
/// `X-Auth-Token`, `password_here`; `password1` is a password).
fn named_literal(name: &[u8], v: &[u8]) -> bool {
    let Some(word) = secret_word(name) else {
        return false;
    };
    let value = v.to_ascii_lowercase();
    let contains = |part: &[u8]| value.windows(part.len()).any(|w| w == part);
    v.len() >= 6
        && !matches!(v[0], b'$' | b'%' | b'{' | b'<' | b'[' | b'@' | b'#' | b'*')
        && !v
            .iter()
            .all(|&x| matches!(x, b'*' | b'x' | b'X' | b'.' | b'-' | b'_'))
        && !LITERAL_PLACEHOLDERS.iter().any(|p| value == p.as_bytes())
        && !LITERAL_PLACEHOLDER_PARTS
            .iter()
            .any(|p| contains(p.as_bytes()))
        && !v.contains(&b'/')
        // A date or time (`2023-01-01T00:10:00Z`: the next argument of a call).
        && !(v.len() > 4 && v[..4].iter().all(u8::is_ascii_digit) && v[4] == b'-')
        && !code_reference(v, true)
        && !names_itself(word, v)
        && !words(v)
        && !v.windows(7).any(|w| w == b"EXAMPLE")
}

/// The secret's word a name ends with ([`LITERAL_NAME_WORDS`], or `key` after a
/// separator or as a camel-case word), lower case.
fn secret_word(name: &[u8]) -> Option<&'static [u8]> {
    let name = name
        .iter()
        .rposition(|x| !matches!(x, b'"' | b'\'' | b']' | b' ' | b'\t'))
        .map_or(&name[..0], |i| &name[..=i]);
    let lower = name.to_ascii_lowercase();
    LITERAL_NAME_WORDS
        .iter()
        .find(|w| lower.ends_with(w.as_bytes()))
        .map(|w| w.as_bytes())
        .or_else(|| {
            let n = name.len();
            let key = n > 3
                && lower.ends_with(b"key")
                && (matches!(name[n - 4], b'_' | b'-' | b'.')
                    || (name[n - 3] == b'K' && name[n - 4].is_ascii_lowercase()));
            key.then_some(&b"key"[..])
        })
}

/// A short value (40 characters at most) that names rather than holds the secret: it
/// has the name's own word (`refresh_token`, `X-Auth-Token`, `newtoken`,
/// `_RSAPrivateKey`); for a password, as part of a longer name (`password_here`,
/// `challengePassword`), since `password1` is a password.
fn names_itself(word: &[u8], v: &[u8]) -> bool {
    let value = v.to_ascii_lowercase();
    let password = matches!(word, b"password" | b"passwd" | b"pwd" | b"passphrase");
    v.len() <= 40
        && value.windows(word.len()).any(|w| w == word)
        && (!password
            || v.iter()
                .any(|x| matches!(x, b'_' | b'-' | b'.') || x.is_ascii_uppercase()))
}

/// An unquoted value that is a plain identifier with no digit (`nextchar`,
/// `current_token`, `Whitespace`), maybe closing a call, a generic or a signature
/// (`printtoken)`, `Duration)`, `ParseResults):`): in code, a variable or a type; a
/// written secret is quoted there, and one in a config file has digits or symbols.
fn identifier_without_digits(v: &[u8]) -> bool {
    let v = v
        .iter()
        .rposition(|x| !matches!(x, b')' | b'>' | b'|' | b',' | b':'))
        .map_or(&v[..0], |i| &v[..=i]);
    v.first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && v.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_')
}

/// Lower-case words joined by `-` (`quoted-string`, `content-transfer-encoding`): a
/// keyword or a header name, not a generated or chosen secret.
fn words(v: &[u8]) -> bool {
    v.contains(&b'-')
        && v.split(|&b| b == b'-')
            .all(|w| w.len() >= 2 && w.iter().all(u8::is_ascii_lowercase))
}

/// Whether the assignment's name is a namespace inside a value, as in the GuardDuty
/// finding type `CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin`: `:` follows the
/// name with no blank or quote, and the name opens a quoted string (its quote is not
/// closed before `:`) or is a capitalised word (a JSON value on its own, a column).
fn inside_a_string(c: &Candidate<'_>, name: &[u8]) -> bool {
    let b = c.bytes();
    let op = name.len();
    if b.get(op) != Some(&b':') || matches!(b.get(op + 1), Some(b' ' | b'\t' | b'"' | b'\'')) {
        return false;
    }
    let opened = matches!(c.before(), Some(q @ (b'"' | b'\'')) if !name.contains(&q));
    let namespace = name.first().is_some_and(u8::is_ascii_uppercase)
        && name.iter().all(u8::is_ascii_alphanumeric);
    opened || namespace
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_clean, assert_finds};

    /// Ids, ARNs and hashes of secrets, and code that reads a secret, are not secrets
    /// (a trial found CloudTrail's `accessKeyId` and application code reported).
    #[test]
    fn references_to_secrets_are_not_secrets() {
        for text in [
            r#""accessKeyId": "ASIAXXQ2K3B5NOTREAL1","#,
            r#""private_key_id": "8f3e2b1c9d7a6e5f4b3c2d1e0f9a8b7c6d5e4f3a","#,
            "secretArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "const secret = process.env.JWT_SECRET;",
            r#"const apiKey = config.get("api.key");"#,
            "SECRET_KEY = get_random_secret_key()",
            "api_key = settings.STRIPE_API_KEY",
            "const passwordHash = user.passwordHash;",
        ] {
            assert_clean("generic_secret", text);
        }
        assert_finds(
            "generic_secret",
            "db_password = Zq7!rT9#kLm2",
            "Zq7!rT9#kLm2",
        );
        assert_finds("generic_secret", "tokenValue: a8Fj3kLq9Zx2", "a8Fj3kLq9Zx2");
        assert!(super::secret_assignment_name("accessKeyId").is_none());
        assert!(super::secret_assignment_name("api_key").is_some());
    }

    /// A secret's name as a quoted key or argument, or before blanks after `setenv` and
    /// `ENV` (trial 6, D8: WordPress's `wp-config.php`), and the forms that already
    /// worked.
    #[test]
    fn secrets_set_by_define_environ_config_setenv_and_env() {
        let v = "q8#Zt4!mW2vR9xLp6&Ks1@Nf";
        for text in [
            format!("define( 'DB_PASSWORD', '{v}' );"),
            format!("define('DB_PASSWORD','{v}');"),
            format!("os.environ[\"PASSWORD\"] = \"{v}\""),
            format!("$_ENV['DB_PASSWORD'] = '{v}';"),
            format!("config.set(\"password\", \"{v}\")"),
            format!("setenv PASSWORD {v}"),
            format!("ENV DB_PASSWORD={v}"),
            format!("ENV DB_PASSWORD {v}"),
            format!("password: {v}"),
            format!("  db_password: \"{v}\""),
            format!("export DB_PASSWORD='{v}'"),
            format!("$db_password = '{v}';"),
        ] {
            assert_finds("generic_secret", &text, v);
        }
        assert_finds(
            "generic_secret",
            "define('DB_PASSWORD', 'wordpress123');",
            "wordpress123",
        );
        let salt = "x|p]Q+0yTz&w4M#jV8@k!rL3^bN6$eH1%uC9*sD2(gF5)aZ7";
        assert_finds(
            "generic_secret",
            &format!("define( 'AUTH_KEY',         '{salt}' );"),
            salt,
        );
        for text in [
            "define( 'DB_PASSWORD', getenv('DB_PASSWORD') );",
            "define( 'DB_PASSWORD', 'password_here' );",
            "fields = (\"token\", \"refresh_token\")",
            "headers = ('api_key', 'X-Api-Key-Header')",
            "password, hunter2xyzzy",
            "setenv PASSWORD_FILE /run/secrets/db_password",
            "env password is required",
            "os.environ[\"PASSWORD\"] == os.environ[\"OTHER_PASSWORD\"]",
        ] {
            assert_clean("generic_secret", text);
        }
    }

    /// A quoted literal under a name ending in a secret's word is reported however weak
    /// it looks (closing note 6: `define('DB_PASSWORD', 'secret1')` was missed), while
    /// placeholders, references and names stay out.
    #[test]
    fn weak_literals_under_secret_names_are_secrets() {
        for (text, value) in [
            ("define('DB_PASSWORD', 'secret1');", "secret1"),
            ("define( 'DB_PASSWORD', 'wordpress' );", "wordpress"),
            ("password = \"hunter2\"", "hunter2"),
            ("$db_password = 'letmein';", "letmein"),
            ("DB_PASSWORD='password1'", "password1"),
            ("  client_secret: \"abcdef\"", "abcdef"),
            ("API_KEY = 'qz81rk'", "qz81rk"),
            ("const apiKey = \"qwerty\";", "qwerty"),
            ("config.set(\"auth_token\", \"abc123\")", "abc123"),
            ("{\"password\": \"sunshine\"}", "sunshine"),
            (".add_string(\"password\", \"butterfly\")", "butterfly"),
        ] {
            assert_finds("generic_secret", text, value);
        }
        for text in [
            "password = \"changeme\"",
            "password = \"<password>\"",
            "password = \"********\"",
            "password = \"\"",
            "password = \"$DB_PASS\"",
            "password = \"${DB_PASSWORD}\"",
            "password = \"%DB_PASSWORD%\"",
            "password = \"{{ db_password }}\"",
            "password = \"your-password\"",
            "password = \"abc\"",
            "token_type = \"bearer\"",
            "password_file = \"/run/secrets/db\"",
            "AUTH_TOKEN = \"X-Auth-Token\"",
            "    mime = {'token': 'content-transfer-encoding'}",
            "TOKEN = \"refresh_token\"",
            "password_prompt = \"Enter\"",
            "monkey = \"banana1\"",
            "key = \"value12\"",
            "password = \"null\"",
            "password = weakpass",
            "secret = \"https://vault.example.com/v1\"",
            // Over crates' and Python's sources: words in lists, a call's next argument,
            // test fixtures, token types and names.
            "'tailcc', 'target', 'to', 'token', 'triple',",
            "Consumer(\"key\", \"secret\", \"application\")",
            ".expect_token(\"first_token\", \"2023-01-01T00:10:00Z\")",
            "\"SecretAccessKey\" : \"xjtest\",",
            "(\"AWS_CONTAINER_AUTHORIZATION_TOKEN\", \"unused\"),",
            "ResourceEndpoint.__init__(self, default_token='Bearer',",
            "\"accessToken\": \"newtoken\",",
            "private_key: \"_RSAPrivateKey\"",
        ] {
            assert_clean("generic_secret", text);
        }
    }

    /// Types in parameter and field annotations, paths and file paths are not values
    /// (trial 6, D10; the class found in crates' and Python's sources), while assignments
    /// of values still are.
    #[test]
    fn type_annotations_paths_and_file_paths_are_not_secrets() {
        for text in [
            "fn emit_ticket(\n    secrets: &ConnectionSecrets,\n) {}",
            "fn f(password: &SecretString, token: Option<&AccessToken>) {}",
            "    password: String,",
            "    token: Option<&str>,",
            "  apiKey: string;",
            "func f(secret *Secret) {}",
            "    tokenizer: Peekable<Tokenizer<'a>>,",
            "    last_retrieved_credentials: Arc<RwLock<Option<Credentials>>>,",
            "    private_key: Arc<SecretKey>,",
            "fn new(plugin: SharedRuntimePlugin, token_ttl: Duration) -> Self {",
            "type SecretKey = Hmac<Sha256>;",
            "    secret: *mut SecretBuffer,",
            "var token []byte",
            "let token: std::string::String = x;",
            "use aws_credential_types::provider::{self, future, ProvideCredentials};",
            "use crate::profile::credentials::exec::named::NamedProviderFactory;",
            "self.credentials_provider = TriStateOption::ExplicitlyUnset;",
            "/// credential_process = /opt/bin/awscreds-custom --username helen",
            "tokenize(readline, tokeneater=printtoken)",
            "conn = self._Client(address, authkey=self._authkey)",
            "    *shared_secret_len = kem->shared_secret_len;",
            "    out->secret_key_len = MLKEM768_SECRET_KEY_BYTES;",
            "    pub Token: D3DKMT_PRESENTHISTORYTOKEN_0,",
            "pub const MsV1_0ChangePassword: MSV1_0_PROTOCOL_MESSAGE_TYPE = 5i32;",
            "    let pkcs8_private_key_buffer: Pkcs8V1Der = my_private.as_der().unwrap();",
            "    check_private_key_bytes: x25519_check_private_key_bytes,",
            "    generate_private_key: $generate_private_key,",
            "    expected_token_refill_rate: 3.821874416040255,",
            "let takes_ownership = move |token: CancellationToken| {",
            "ret->extended_master_secret = !!extended_master_secret;",
            "let tokens = quote_spanned! {span=>",
            "/*expanded_private_key_len=*/MLKEM1024_SECRET_KEY_BYTES,",
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
            "X-Amz-Credential=ANOTREAL%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z",
            "X-Amz-Security-Token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI",
            "shared_credentials_file = C:\\Users\\me\\.aws\\credentials",
            "size_t shared_secret_len = params.shared_secret_len/2;",
            "pub const PrivateKeyClientVersionMask: X509CertificateTemplatePrivateKeyFlag = 251658240i32;",
            "    __slots__ = (\"tokens\", \"symbol2label\"):",
            "def strip_html_tags(s: str, l: int, tokens: ParseResults):",
            "        request_token=request.resource_owner_key):",
        ] {
            assert_clean("generic_secret", text);
        }
        assert_finds("generic_secret", "password = \"hunter2xyz\"", "hunter2xyz");
        assert_finds("generic_secret", "secret: &x9Kq!2Lm8Zt", "&x9Kq!2Lm8Zt");
        assert_finds("generic_secret", "token=/Zq8+x2Lm/9Pq", "/Zq8+x2Lm/9Pq");
        // Digits and case mixed, at the end of a line or of a shell command.
        assert_finds("generic_secret", "password: Hunter2Secret", "Hunter2Secret");
        assert_finds(
            "generic_secret",
            "DB_PASSWORD=Zq7rT9kLm2; export DB_PASSWORD",
            "Zq7rT9kLm2",
        );
        assert_finds(
            "generic_secret",
            "api_key: \"Opt<x>9Kq2Lm8Zt\"",
            "Opt<x>9Kq2Lm8Zt",
        );
    }

    /// Values of 40 characters and more are AWS-secret shaped; under a name that is not
    /// AWS's they are still generic secrets (a trial found every such value missed).
    #[test]
    fn long_assigned_secrets_are_generic_secrets_when_not_named_as_aws_keys() {
        let values = [
            "KKEpYEZAmggQBwBAD3UdRPPgdzUvZ3gpmmICiBlr",
            "KKEpYEZAmggQBwBAD3UdRPPgdzUvZ3gpmmICiBlrQ7xT",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ];
        for v in values {
            for text in [
                format!("token={v}"),
                format!("password: {v}"),
                format!("SECRET_KEY_BASE=\"{v}\""),
            ] {
                assert_finds("generic_secret", &text, v);
            }
        }
        assert_finds(
            "aws_secret_access_key",
            "aws_secret_access_key = KKEpYEZAmggQBwBAD3UdRPPgdzUvZ3gpmmICiBlr",
            "KKEpYEZAmggQBwBAD3UdRPPgdzUvZ3gpmmICiBlr",
        );
    }

    /// The detectors reporting in a structured object of `format`.
    fn structured(format: crate::classify::ObjectFormat, text: &str) -> Vec<String> {
        let r = crate::classify::tests::shared()
            .classify_stream(
                &format,
                text.as_bytes(),
                &crate::classify::SampleLimits::NONE,
            )
            .unwrap();
        r.findings.iter().map(|f| f.detector.clone()).collect()
    }

    /// A column or key named `secret_key`, `aws_secret_access_key` or `SecretAccessKey` is
    /// the AWS secret key's keyword (a trial found such columns labelled generic_secret).
    #[test]
    fn aws_secret_keys_named_by_a_column_a_json_key_or_a_config_line() {
        use crate::classify::ObjectFormat;
        let v = "KKEpYEZAmggQBwBAD3UdRPPgdzUvZ3gpmmICiBlr";
        for text in [
            format!("[default]\nsecret_key = {v}\n"),
            format!("Secret key: {v}"),
            format!("\"SecretAccessKey\": \"{v}\","),
            format!("AWS_SECRET_KEY={v}"),
        ] {
            assert_finds("aws_secret_access_key", &text, v);
        }
        for column in [
            "secret_key",
            "aws_secret_access_key",
            "SecretAccessKey",
            "Secret Key",
        ] {
            let csv = format!("user,{column}\njane,{v}\n");
            let found = structured(ObjectFormat::Csv { delimiter: b',' }, &csv);
            assert_eq!(found, ["aws_secret_access_key"], "{column}");
            let json = format!("{{\"user\": \"jane\", \"{column}\": \"{v}\"}}");
            let found = structured(ObjectFormat::Json, &json);
            assert_eq!(found, ["aws_secret_access_key"], "{column}");
        }
        let nested = format!("{{\"Credentials\": {{\"AccessKeyId\": \"ASIAZ7Q3XK5LMN2RTV4W\", \"SecretAccessKey\": \"{v}\"}}}}");
        let found = structured(ObjectFormat::Json, &nested);
        assert!(
            found.contains(&"aws_secret_access_key".to_string()),
            "{found:?}"
        );
        // Near misses: a hex digest under the name, the value under another name.
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b";
        let found = structured(
            ObjectFormat::Csv { delimiter: b',' },
            &format!("secret_key\n{hex}\n"),
        );
        assert!(
            !found.contains(&"aws_secret_access_key".to_string()),
            "{found:?}"
        );
        let found = structured(
            ObjectFormat::Csv { delimiter: b',' },
            &format!("note\n{v}\n"),
        );
        assert!(found.is_empty(), "{found:?}");
        let found = structured(
            ObjectFormat::Csv { delimiter: b',' },
            &format!("api_token\n{v}\n"),
        );
        assert_eq!(found, ["generic_secret"]);
    }

    #[test]
    fn aws_access_key_ids_are_found_but_not_the_documented_example() {
        assert_finds(
            "aws_access_key_id",
            "key=AKIAZ7Q3XK5LMN2RTV4W ok",
            "AKIAZ7Q3XK5LMN2RTV4W",
        );
        assert_finds(
            "aws_access_key_id",
            "ASIAY34FZKBOKMUTVV7A",
            "ASIAY34FZKBOKMUTVV7A",
        );
        assert_clean("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE");
        assert_clean("aws_access_key_id", "AKIAZ7Q3XK5LMN2RTV4WQ"); // 17 characters after the prefix
        assert_clean("aws_access_key_id", "AKIAZ7Q3XK5LMN2RTV4"); // 15
    }

    #[test]
    fn aws_secret_key_needs_name_or_keyword() {
        let secret = "k3Jd9Lq0ZpXv7BnT2mWc8RyF5sHa1GeUoI4tNbQx";
        assert_finds(
            "aws_secret_access_key",
            &format!("aws_secret_access_key = {secret}\n"),
            secret,
        );
        assert_finds(
            "aws_secret_access_key",
            &format!("AWS secret: \"{secret}\""),
            secret,
        );
        assert_clean("aws_secret_access_key", &format!("checksum {secret}"));
        assert_clean(
            "aws_secret_access_key",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        assert_clean(
            "aws_secret_access_key",
            "aws_secret_access_key = da39a3ee5e6b4b0d3255bfef95601890afd80709",
        );
    }

    #[test]
    fn private_key_block_is_found_but_a_header_alone_is_not() {
        let body = "MIIEowIBAAKCAQEAvN3fLhYkZ9qC+2xQ7wz4Rk1pT8sVb0nJm6HdGy5aXeUoIiKl\nr7Tq2Wc9Zp3Lk8Mv4Nb1Xs6Jd0Fy5Hg7Qe2Ra9Ut3Yi1Op4As6Df8Gh0Jk2Lz4Xc\n";
        let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----");
        assert_finds("private_key", &format!("key:\n{pem}\n"), &pem);
        let ssh =
            format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----");
        assert_finds("private_key", &ssh, &ssh);
        // Inside a JSON string or an environment variable: newlines written as `\n`.
        let escaped = pem.replace('\n', "\\n");
        assert_finds(
            "private_key",
            &format!("{{\"private_key\": \"{escaped}\\n\"}}"),
            &escaped,
        );
        let pgp = format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: 1\n\n{body}-----END PGP PRIVATE KEY BLOCK-----");
        assert_finds("private_key", &pgp, &pgp);
        assert_clean(
            "private_key",
            "grep -- '-----BEGIN RSA PRIVATE KEY-----' file",
        );
        assert_clean(
            "private_key",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        );
        assert_clean(
            "private_key",
            &format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END EC PRIVATE KEY-----"),
        );
    }

    #[test]
    fn jwt_header_must_decode_to_json_with_alg() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwibmFtZSI6IkphbmUifQ.Q2xhc3NpZnlUZXN0U2lnbmF0dXJlMDE";
        assert_finds("jwt", &format!("Authorization: Bearer {jwt}"), jwt);
        // Header {"typ":"JWT"}: no alg.
        assert_clean(
            "jwt",
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiI0MjQyIn0.Q2xhc3NpZnlUZXN0U2ln",
        );
        assert_clean(
            "jwt",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9garbage.eyJzdWIiOiI0MjQyIn0.Q2xhc3NpZnlUZXN0U2ln",
        );
    }

    /// A JWT folded in YAML (PyYAML's double-quoted wrap, a `>-` block, a plain
    /// multi-line scalar) or wrapped at a fixed width is one value.
    #[test]
    fn a_jwt_folded_across_lines_is_found_whole() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwibmFtZSI6IkphbmUifQ.Q2xhc3NpZnlUZXN0U2lnbmF0dXJlMDE";
        let (a, rest) = jwt.split_at(30);
        let (b, c) = rest.split_at(40);
        for (text, value) in [
            (
                format!("auth:\n  token: \"{a}\\\n    {b}\\\n    {c}\"\n  user: bob\n"),
                format!("{a}\\\n    {b}\\\n    {c}"),
            ),
            (
                format!("token: >-\n  {a}\n  {b}\n  {c}\nnext: 1\n"),
                format!("{a}\n  {b}\n  {c}"),
            ),
            (
                format!("auth:\n  token: {a}\n    {b}{c}\n  user: bob\n"),
                format!("{a}\n    {b}{c}"),
            ),
            (
                format!("{a}\r\n{b}\r\n{c}\r\n"),
                format!("{a}\r\n{b}\r\n{c}"),
            ),
        ] {
            assert_finds("jwt", &text, &value);
        }
        // Lines that do not make a JWT once joined.
        for text in [
            format!("token: >-\n  {a}\n  {b}\n"),
            format!("token: {a}\n  user: {b}{c}\n"),
            "jwt: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\nthe next line\n".to_string(),
        ] {
            assert_clean("jwt", &text);
        }
    }

    #[test]
    fn service_tokens_are_found() {
        for (id, v) in [
            ("github_token", "ghp_Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2Lm4"),
            ("gitlab_token", "glpat-Xy7Qk2Lm9Pz4Rt6Vb1Nc"),
            (
                "slack_token",
                "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            ),
            ("stripe_key", "sk_live_51Hc9Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3"),
            ("google_api_key", "AIzaSyXy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2"),
            ("twilio_api_key", "SK0123456789abcdef0123456789abcdef"),
            (
                "sendgrid_api_key",
                "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",
            ),
            ("npm_token", "npm_Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2Lm4"),
        ] {
            assert_finds(id, &format!("token {v} end"), v);
        }
        assert_clean("github_token", "ghp_Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2L"); // 35
        assert_clean("stripe_key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"); // Stripe's documented key
        assert_clean(
            "google_api_key",
            "AIzaSyXy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk2Lmore",
        );
    }

    #[test]
    fn azure_connection_string_is_found() {
        let key = format!(
            "{}==",
            "Xy7Qk2Lm9Pz4Rt6Vb1Nc8Wd3Fs5Gh0Jk"
                .repeat(3)
                .get(..86)
                .unwrap()
        );
        // The key is the value (the rest of the string says where, not who).
        let s = format!("DefaultEndpointsProtocol=https;AccountName=acme01;AccountKey={key}");
        assert_finds(
            "azure_storage_connection_string",
            &format!("conn=\"{s};EndpointSuffix=core.windows.net\""),
            &key,
        );
        assert_clean(
            "azure_storage_connection_string",
            "DefaultEndpointsProtocol=https;AccountName=acme01;AccountKey=short==",
        );
    }

    /// Trial 7, D5: assignment forms other languages write (PHP and Ruby `=>`, Go `:=`,
    /// comparisons) and names ending in `_PASS` were missed.
    #[test]
    fn secrets_in_other_languages_assignment_forms() {
        for (text, value) in [
            ("$databases['default']['default'] = array('password' => 'Xq7pL9vR2mK4wT8zNa', 'host' => 'db1');", "Xq7pL9vR2mK4wT8zNa"),
            ("config = { :password => \"Hw8rT2kLq9ZxV3mPq\" }", "Hw8rT2kLq9ZxV3mPq"),
            ("\tpassword := \"Zk3mQ8vL2xR7tN4wPb\"", "Zk3mQ8vL2xR7tN4wPb"),
            ("DB_PASS=Rt5vK9mQ2wL8xZ3nPa", "Rt5vK9mQ2wL8xZ3nPa"),
            ("SMTP_PASS: Gm4xT9qL2vR8kZ7wNc", "Gm4xT9qL2vR8kZ7wNc"),
            ("if (password == \"Yp6wQ3mK9vL2xR8tNd\") {", "Yp6wQ3mK9vL2xR8tNd"),
        ] {
            assert_finds("generic_secret", text, value);
        }
        for text in [
            "bypass=Rt5vK9mQ2wL8xZ3nPa",
            "compass: Gm4xT9qL2vR8kZ7wNc",
            "if (password == null) {",
        ] {
            assert_clean("generic_secret", text);
        }
    }

    /// Trial 7, D7: hashes, working directories, entry points, artifact versions and
    /// templates under secret-sounding names.
    #[test]
    fn hashes_paths_entry_points_versions_and_templates_are_not_secrets() {
        for text in [
            r#"        "hashed_secret": "513e0a36963ae1e8431c041b744679ee578b7c44","#,
            "            'detect-secrets = detect_secrets.main:main',",
            r#"notes            = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2""#,
            r#"{"PWD": "/home/nodeuser/project/node", "OLDPWD": "/home/nodeuser/project/node/src"}"#,
            "            f'Credential={key}/{scope}, '",
            r#"password = "{password}""#,
        ] {
            assert_clean("generic_secret", text);
        }
    }

    /// Trial 7 (gitleaks' Slack false positives): masked or counted-up tokens under a
    /// token name are stand-ins, not secrets.
    #[test]
    fn placeholder_tokens_under_secret_names_are_not_generic_secrets() {
        for text in [
            r#""token4": "xoxp-4736398253-9826459283-####""#,
            "token = xoxp-1234567890",
            "token: xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d",
        ] {
            assert_clean("generic_secret", text);
        }
        assert_finds(
            "generic_secret",
            "api_token = Zk3mQ8vL2xR7tN4wPbYq",
            "Zk3mQ8vL2xR7tN4wPbYq",
        );
    }

    /// Trial 7, D11: documentation's stand-ins in URLs.
    #[test]
    fn url_placeholders_are_not_passwords() {
        for text in [
            r#"u1 = "https://user:pass@sub.example.com:8080/p/a/t/h""#,
            r#"u2 = new URL("https://abc:xyz@example.com")"#,
            r#"u3 = "https://a:b@xn--g6w251d/?abc""#,
            r#"u4 = f"https://{user}:{password}@db.example.com/x""#,
            r#"u5 = "http://foo:bar@example.com""#,
        ] {
            assert_clean("url_password", text);
        }
    }

    #[test]
    fn url_passwords_but_not_placeholders() {
        assert_finds(
            "url_password",
            "db postgres://app:Tr0ub4dor3xZ@db.internal:5432/x",
            "Tr0ub4dor3xZ",
        );
        assert_clean(
            "url_password",
            "postgres://app:${DB_PASSWORD}@db.internal/x",
        );
        assert_clean("url_password", "postgres://app:password@db.internal/x");
        // Redis and others take a password with no user name.
        assert_finds(
            "url_password",
            "REDIS_URL=redis://:p4ssw0rdRedis99@cache:6379/0",
            "p4ssw0rdRedis99",
        );
        assert_clean("url_password", "https://example.org/a:b@c"); // no userinfo before the path
    }

    /// Every Slack token type (gitleaks' true-positive test tokens), in a log line.
    #[test]
    fn slack_tokens_of_every_type() {
        for token in [
            "xoxa-2-511111111-31111111111-3111111111111-e039d02840a0b9379c",
            "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a3634791acb9a9ead051da879eb5b55",
            "xoxe.xoxp-1-Mi0yLTM0MTQwNDE0MDE3Ni0zNjU5NDY0Njg4MTctNTE4MjA3NTQ5NjA4MC01NDEyOTYyODY5NzUxLThhMTBjZmI1ZWIzMGIw",
            "xoxe-1-My0xLTMxNzcwMjQ0MTcxMy01MTU4MTUyNjkxNzE0LTUxODE4NDI0MDY3MzYtMjA5MGFkOTFlZThkZWE2OGFlZDYwYWJjODNhYzAxYjA5",
            "xoxe-4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        ] {
            assert_finds(
                "slack_token",
                &format!("2024-05-01T10:00:00Z INFO using {token} now"),
                token,
            );
        }
        assert_finds(
            "slack_token",
            "GET https://files.slack.com/files-pri/T1-F2/image.png?t=xoxe-4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206",
            "xoxe-4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206",
        );
        assert_clean("slack_token", "see xoxb-docs and xapp-1-short");
    }

    #[test]
    fn basic_auth_headers_and_settings_decode_to_user_and_password() {
        // alice:S3cr3t-Passw0rd-2024
        let token = "YWxpY2U6UzNjcjN0LVBhc3N3MHJkLTIwMjQ=";
        assert_finds(
            "http_basic_auth",
            &format!("Authorization: Basic {token}\r\n"),
            token,
        );
        assert_finds(
            "http_basic_auth",
            &format!("curl -H 'Proxy-Authorization: basic {token}' https://x"),
            token,
        );
        assert_finds(
            "http_basic_auth",
            &format!("config.json: {{\"auths\":{{\"https://index.docker.io/v1/\":{{\"auth\":\"{token}\"}}}}}}"),
            token,
        );
        assert_finds(
            "http_basic_auth",
            &format!("//registry.npmjs.org/:_auth={token}"),
            token,
        );
        // Without padding, and an empty user name.
        assert_finds(
            "http_basic_auth",
            "Basic OlMzY3IzdFBhc3M",
            "OlMzY3IzdFBhc3M",
        );
        // Not credentials: no colon (user only), a placeholder password, a word.
        assert_clean("http_basic_auth", "Authorization: Basic YWxpY2U="); // alice
        assert_clean(
            "http_basic_auth",
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        ); // user:password
        assert_clean("http_basic_auth", "Basic Settings and Basic configuration");
        assert_clean("http_basic_auth", "Authorization: Basic ${CREDENTIALS}");
    }

    #[test]
    fn generic_assignments_with_entropy() {
        assert_finds("generic_secret", "db_password=Zq8!vR2#mK9x", "Zq8!vR2#mK9x");
        assert_finds(
            "generic_secret",
            "{\"client_secret\": \"f9Kd82LmQz0pXv7B\"}",
            "f9Kd82LmQz0pXv7B",
        );
        assert_clean("generic_secret", "password=changeme123");
        assert_clean("generic_secret", "password: ${PASSWORD}");
        assert_clean("generic_secret", "password=aaaaaaaaaaaa");
        assert_clean("generic_secret", "token: <your-token-here>");
        // Still secrets: unquoted with digits, quoted letters, a passphrase in quotes
        // with capitals.
        assert_finds("generic_secret", "DB_PASSWORD=hunter2horse", "hunter2horse");
        assert_finds(
            "generic_secret",
            "password = 'SnowyOwlBridge'",
            "SnowyOwlBridge",
        );
    }

    /// AWS documents two example key pairs; every example key ends in EXAMPLE(KEY).
    #[test]
    fn aws_documentation_examples_are_not_reported() {
        assert_clean(
            "aws_secret_access_key",
            "aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        );
        assert_clean(
            "aws_access_key_id",
            "aws_access_key_id = AKIAI44QH8DHBEXAMPLE",
        );
        assert_clean("aws_access_key_id", "key AKIAZZZZZZZZZEXAMPLE");
    }

    /// Code and data a trial found reported (CPython's standard library, a GuardDuty
    /// finding, CloudTrail's userIdentity, a GCP service-account key file).
    #[test]
    fn code_identifiers_types_arns_and_urls_are_not_secrets() {
        for text in [
            "        token_type = 'quoted-string'",
            "    mime = {'token': 'content-transfer-encoding'}",
            "        self.token = nextchar",
            "        cache_token = current_token",
            "        self.username, self.password = credentials",
            "            token = line[start:pos]",
            "PseudoToken = Whitespace + group(PseudoExtras, Number, Funny)",
            "password = os.environ[\"DB_PASSWORD\"]",
            r#"finding {"type": "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin"}"#,
            "type CredentialAccess:Kubernetes/MaliciousIPCaller.Custom seen",
            r#"x "credentialsIssuedTo": "arn:aws:lambda:us-east-1:123456789012:function:f""#,
            r#"x "token_uri": "https://oauth2.googleapis.com/token","#,
        ] {
            assert_clean("generic_secret", text);
        }
    }
}
