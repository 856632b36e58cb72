//! Checks of the service-token detectors (AWS key ids, GitHub, GitLab, Slack, Stripe,
//! Google, SendGrid, npm, Azure Storage keys, JWTs): a token whose secret part is a
//! placeholder is not reported, nor a key its vendor published for emulators and
//! documentation.

use base64::Engine as _;

use super::checksum::entropy;
use super::detector::{is_word, Candidate, Confidence, Need, Verdict};

const HIGH: Need = Need::Alone(Confidence::High);

/// Keys their vendors publish for emulators, SDK samples and documentation, never
/// reported by the token detectors (the engine's allow-list holds AWS's and the test
/// cards): the Azure Storage emulator's (Azurite's) account key, and the Firebase SDK
/// sample API keys that gitleaks' Google rule lists as false positives.
const PUBLISHED: &[&[u8]] = &[
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    b"AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
    b"AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
    b"AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
    b"AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
    b"AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
    b"AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
    b"AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
    b"AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
    b"AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
    b"AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
    b"AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
    b"AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU",
    b"AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
    b"AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE",
    b"AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
];

/// Words that say a token stands for one (`…TokenHere`, `YOUR_KEY_HERE`, `EXAMPLE`),
/// matched case-insensitively in the secret part's letters.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"sample",
    b"dummy",
    b"placeholder",
    b"redacted",
    b"changeme",
    b"yourtoken",
    b"yourkey",
    b"yoursecret",
    b"youraccess",
    b"yourapi",
];

/// Whether a token's secret part (after its fixed prefix) is a placeholder rather than
/// a generated value: any segment (between `-`, `_` and `.`) of four characters or more
/// that is one character repeated or an ascending sequence (`XXXXXXXX`, `1234`,
/// `abcdef`); a run of eight of one character or of six ascending ones anywhere; four
/// distinct characters or fewer in all (`TESTTESTTESTTEST`); a placeholder word
/// ([`PLACEHOLDER_WORDS`]), `test` or `fake` twice, or `here` at the end; a `#` or `*`
/// mask right after it. A generated token has none of these but by rare chance (eight
/// equal base62 characters: about one in 3·10¹²).
pub(crate) fn placeholder_token(secret: &[u8], after: Option<u8>) -> bool {
    if matches!(after, Some(b'#' | b'*')) {
        return true;
    }
    let segment = secret
        .split(|b| matches!(b, b'-' | b'_' | b'.'))
        .any(|s| s.len() >= 4 && (repeated(s) || ascending(s)));
    let runs = secret.windows(8).any(repeated) || secret.windows(6).any(ascending);
    let mut seen = [false; 256];
    for &b in secret.iter().filter(|b| b.is_ascii_alphanumeric()) {
        seen[usize::from(b)] = true;
    }
    let few = seen.iter().filter(|&&s| s).count() <= 4;
    let letters: Vec<u8> = secret
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    let count = |word: &[u8]| letters.windows(word.len()).filter(|w| *w == word).count();
    let words = PLACEHOLDER_WORDS.iter().any(|w| count(w) > 0)
        || count(b"test") >= 2
        || count(b"fake") >= 2
        || letters.ends_with(b"here");
    segment || runs || few || words
}

/// Whether a value is a key its vendor published (see [`PUBLISHED`]).
fn published(value: &[u8]) -> bool {
    PUBLISHED.contains(&value)
}

/// A token of a fixed `prefix` length (`AKIA`, `ghp_`, `npm_`): reported at high
/// confidence unless its secret part is a placeholder or it is published.
pub(crate) fn token(c: &Candidate<'_>, prefix: usize) -> Option<Verdict> {
    let b = c.bytes();
    let secret = b.get(prefix..)?;
    (!placeholder_token(secret, c.after()) && !published(b)).then(|| Verdict::whole(c, HIGH))
}

/// A token whose pattern cannot end on a word boundary (its alphabet has `-`): it must
/// not go on, then as [`token`].
pub(crate) fn bounded_token(c: &Candidate<'_>, prefix: usize) -> Option<Verdict> {
    let next = c.after();
    let continues = is_word(next) || matches!(next, Some(b'_' | b'-'));
    if continues {
        return None;
    }
    token(c, prefix)
}

/// A Slack token or webhook: its last part (after the last `-`, or a webhook's last
/// `/`) is the secret and must not be a placeholder; the ids before it must not be one
/// digit repeated or counted up (`xoxp-1234-1234-1234-…`); the token must not stop at a
/// `-` (cut short or masked: `xoxp-…-572331691188-####`).
pub(crate) fn slack(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    if b.ends_with(b"-") {
        return None;
    }
    let cut = if b.starts_with(b"http") { b'/' } else { b'-' };
    let last = b.iter().rposition(|&x| x == cut)? + 1;
    let ids = b[..last]
        .split(|&x| x == cut)
        .any(|s| s.len() >= 4 && s.iter().all(u8::is_ascii_digit) && (repeated(s) || ascending(s)));
    (!ids).then_some(())?;
    token(c, last)
}

/// Whether every character is the one before it plus one (`1234`, `abcdef`).
fn ascending(w: &[u8]) -> bool {
    w.windows(2).all(|p| p[1] == p[0].wrapping_add(1))
}

/// Whether every character is the same.
fn repeated(w: &[u8]) -> bool {
    w.windows(2).all(|p| p[0] == p[1])
}

/// A GitHub token: the classic forms (`ghp_` and four other prefixes with 36 base62
/// characters, `github_pat_` fine-grained tokens) and the stateless installation token
/// GitHub issues since April 2026 (`ghs_<app id>_<JWT>`, a variable length with two
/// dots; GitHub documents no other long form, so a long `ghs_` token without them is not
/// taken).
pub(crate) fn github(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    if matches!(c.after(), Some(b'.' | b'-' | b'_')) || is_word(c.after()) {
        return None;
    }
    let classic = b.len() == 40 && b.iter().skip(4).all(u8::is_ascii_alphanumeric);
    let fine_grained = b.starts_with(b"github_pat_");
    let stateless = b.starts_with(b"ghs_") && b.len() > 40 && {
        let rest = &b[4..];
        let app_id = rest.iter().take_while(|x| x.is_ascii_digit()).count();
        app_id > 0
            && rest.get(app_id) == Some(&b'_')
            && rest[app_id + 1..].iter().filter(|&&x| x == b'.').count() == 2
    };
    if !(classic || fine_grained || stateless) {
        return None;
    }
    let prefix = match (fine_grained, stateless) {
        (true, _) => 11,
        (_, true) => 4 + b[4..].iter().position(|&x| x == b'_')? + 1,
        _ => 4,
    };
    token(c, prefix)
}

/// An Azure Storage (or Cosmos DB) account key: 88 base64 characters ending in `==`
/// after a name that says so (the pattern's `AccountKey=` in a connection string, in any
/// order and on any line, `account_key`, `storageAccountKey`, `AZURE_STORAGE_KEY`,
/// `-storagekey`, then up to 24 bytes of quotes, operators, brackets and blanks): the key is
/// the value when it is whole (no base64 character follows), of high entropy, not a
/// placeholder and not the emulator's published key. A 64-byte value in base64 under
/// another name (a SHA-512 digest, an npm `integrity`) is not one.
pub(crate) fn azure_storage_key(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let span = b.len().checked_sub(88)?..b.len();
    let value = &b[span.clone()];
    let base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if c.after().is_some_and(base64)
        || entropy(value) < 4.5
        || placeholder_token(value, c.after())
        || published(value)
    {
        return None;
    }
    Some(Verdict { span, need: HIGH })
}

/// An Azure shared access signature: the `sig=` of a URL or query string that also
/// carries the service version (`sv=`), as Azure Storage writes SAS URLs: the signature
/// (an HMAC-SHA256 in base64, `=` written `%3D` in a URL) is the value.
pub(crate) fn azure_sas(c: &Candidate<'_>) -> Option<Verdict> {
    let b = c.bytes();
    let at = b.windows(4).rposition(|w| w == b"sig=")? + 4;
    let sig = &b[at..];
    let decoded = sig
        .iter()
        .filter(|x| x.is_ascii_alphanumeric() || matches!(x, b'+' | b'/'))
        .count();
    (decoded >= 43 && !placeholder_token(sig, c.after())).then_some(Verdict {
        span: at..b.len(),
        need: HIGH,
    })
}

/// The `alg` member of a JWT header (base64url JSON, compact or pretty-printed); `None`
/// when the header is not that.
pub(crate) fn jwt_alg(header: &[u8]) -> Option<serde_json::Value> {
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.strip_suffix(b"=").unwrap_or(header))
        .ok()?;
    let mut json: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    json.get_mut("alg").map(serde_json::Value::take)
}

/// JWT: the header is base64url JSON with an `alg` member (compact or pretty-printed:
/// `eyJ…` or `ewog…`); a token without a signature (nothing after the second dot) only
/// with `alg` `none`, which is unsigned by design. The pattern takes the byte after such
/// a token's dot (so a signature the window cut is read whole in the next one); it is
/// not part of the value.
pub(crate) fn jwt(c: &Candidate<'_>) -> Option<Verdict> {
    let mut b = c.bytes();
    let mut after = c.after();
    if let [.., b'.', last] = b {
        if !(last.is_ascii_alphanumeric() || matches!(last, b'-' | b'_')) {
            after = Some(*last);
            b = &b[..b.len() - 1];
        }
    }
    if matches!(after, Some(b'.' | b'-' | b'_')) || is_word(after) {
        return None;
    }
    let alg = jwt_alg(b.split(|&x| x == b'.').next()?)?;
    let unsigned = b.ends_with(b".");
    if unsigned && !alg.as_str().is_some_and(|a| a.eq_ignore_ascii_case("none")) {
        return None;
    }
    Some(Verdict {
        span: 0..b.len(),
        need: HIGH,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_clean, assert_finds};
    use super::placeholder_token;

    /// gitleaks' own false positives and README placeholders (trial 7's D6): not findings.
    #[test]
    fn placeholder_and_published_tokens_are_not_reported() {
        for (id, text) in [
            ("github_token", "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ("github_token", "gho_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            (
                "github_token",
                "github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            ),
            ("gitlab_token", "token: glpat-XXXXXXXXXXX-XXXXXXXX"),
            ("gitlab_token", "glpat-xxxxxxxx-xxxxxxxxxxxxxxxxxx.xxxxxxxxx"),
            ("aws_access_key_id", "key = AKIAXXXXXXXXXXXXXXXX"),
            ("aws_access_key_id", "value: AKIATESTTESTTESTTEST"),
            ("google_api_key", r#"apiKey: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#),
            ("google_api_key", "AIzaSyabcdefghijklmnopqrstuvwxyz1234567"),
            ("google_api_key", "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs"), // Firebase sample
            ("npm_token", "NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ("stripe_key", "STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"),
            ("stripe_key", "sk_test_YOUR_SECRET_KEY_HERE_0000000000"),
            (
                "sendgrid_api_key",
                "SENDGRID=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            ),
            ("slack_token", "xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere"),
            ("slack_token", "xoxe.xoxp-1-RANDOMSTRINGHERE"),
            (
                "slack_token",
                r#""token4": "xoxp-572370529330-573807301142-572331691188-####################""#,
            ),
            (
                "slack_token",
                r#""token3": "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d""#,
            ),
            (
                "azure_storage_connection_string",
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
            ),
        ] {
            assert_clean(id, text);
        }
    }

    /// Real-looking tokens (gitleaks' and trufflehog's true positives) stay findings.
    #[test]
    fn generated_tokens_are_not_placeholders() {
        for secret in [
            &b"1Zc8oE6tPZ3kLm9QxR4vW7yB2nH5jD0sAfGu"[..],
            b"Z7Q3XK5LMN2RTV4W",
            b"4eC39HqLyjWDarjtT1zdp7dc",
            b"2hN8pQ4rV6tX8zB1dF3gJ5kL7mP9sU",
        ] {
            assert!(!placeholder_token(secret, None), "{secret:?}");
        }
        assert_finds(
            "github_token",
            "token: ghp_1Zc8oE6tPZ3kLm9QxR4vW7yB2nH5jD0sAfGu",
            "ghp_1Zc8oE6tPZ3kLm9QxR4vW7yB2nH5jD0sAfGu",
        );
        assert_finds(
            "stripe_key",
            "sk_live_51Hx2kLqP9vR7tY3wZ8bN4mC6dF0gJ5s",
            "sk_live_51Hx2kLqP9vR7tY3wZ8bN4mC6dF0gJ5s",
        );
    }

    /// trufflehog's Azure Storage true positives (trial 7's D2): keys in connection
    /// strings in any order or wrapped over lines, and under names that say so.
    #[test]
    fn azure_storage_keys_are_found_in_any_order_and_under_their_names() {
        let key = "qYaZm3m8+Z2aYAiSDzzvStkTUgZXl29U76lDJ0qiob7bbV4g7kjtwO+FI2QoptGdZgEdtsAYzG8T0hl5TeftWA==";
        let id = "azure_storage_connection_string";
        for text in [
            format!("EndpointSuffix=core.windows.net;AccountKey={key};AccountName=storagetest123;DefaultEndpointsProtocol=http"),
            format!("const cs = 'DefaultEndpointsProtocol=http;AccountName=macdemostorage;\n    AccountKey={key};\n    QueueEndpoint=http://127.0.0.1:10001/x;';"),
            format!("'account_key' => '{key}',"),
            format!("account_key: '{key}'"),
            format!("storageAccountKey = \"{key}\";"),
            format!("\"accountKey\":\"{key}\""),
            format!("<account_key>{key}</account_key>"),
            format!("azurestorageaccountkey: {key}"),
            format!("--conf spark.copydata.storageaccountkey={key} \\"),
            format!("-storagekey {key}"),
            format!("AZURE_STORAGE_KEY={key}"),
            format!("{{ \"SecondaryAccountKey\", \"{key}\" }},"),
            format!("static const std::string AzuriteAccountKey{{\n    \"{key}\"}};"),
            format!("assert.equal(parsed['AccountKey'], '{key}');"),
            format!("export const key =\n  process.env.ACCOUNT_KEY ||\n  \"{key}\";"),
            format!("String DEFAULT_ACCOUNT_KEY\n            = \"{key}\";"),
        ] {
            assert_finds(id, &text, key);
        }
        // Near misses: the same shape without a name that says storage key (a SHA-512
        // integrity hash), or glued to more base64.
        assert_clean(id, &format!("\"integrity\": \"sha512-{key}\""));
        assert_clean(id, &format!("digest = {key}"));
        assert_clean(id, &format!("storage key hash: {key}"));
        assert_clean(id, &format!("AccountKey={key}A"));
        let flat = "A".repeat(86);
        assert_clean(id, &format!("AccountKey={flat}=="));
    }

    #[test]
    fn azure_sas_signatures_are_found() {
        let sig = "Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D";
        assert_finds(
            "azure_sas_token",
            &format!("https://acct.blob.core.windows.net/c/b.txt?sv=2019-02-02&st=2019-04-29T22%3A18%3A26Z&se=2019-04-30T02%3A23%3A26Z&sr=b&sp=rw&sig={sig}"),
            sig,
        );
        assert_clean(
            "azure_sas_token",
            "https://acct.blob.core.windows.net/c?sv=2019-02-02&sr=b&sig=<signature>",
        );
        assert_clean(
            "azure_sas_token",
            &format!("https://example.com/?q=1&sig={sig}"),
        );
    }

    /// gitleaks' Slack and trufflehog's GitHub true positives (trial 7's D12).
    #[test]
    fn slack_webhooks_legacy_tokens_and_github_stateless_tokens_are_found() {
        for v in [
            "http://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/Zx8kQ2mP9vL3rT7wN4bY6cH1",
            "https://hooks.slack.com/workflows/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",
            "http://hooks.slack.com/workflows/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",
            "xoxo-523423-234243-234233-e039d02840a0b9379c",
        ] {
            assert_finds("slack_token", &format!("hook: {v}\n"), v);
        }
        let stateless = "ghs_318215_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJnaXRodWIiLCJpbnN0YWxsYXRpb24iOjF9.c2lnbmF0dXJlLWJ5LWdpdGh1Yi1pbnRlcm5hbA";
        assert_finds(
            "github_token",
            &format!("GH_TOKEN={stateless}\n"),
            stateless,
        );
        // A long `ghs_` token of a form GitHub never issued (trufflehog's test value).
        assert_clean(
            "github_token",
            "ghs_RWGUZ6kS8_Ut7PbtR72k2miJwwYtxkpe8mOpT8feAWYZcwz43PxBVGCNATnycaQV9VUlPJe1uST5Xen7d3uZ5lilVlEVvT9AbxnhURdT3OzPtCvXydIrvE4LrDO",
        );
        assert_clean(
            "slack_token",
            "https://hooks.slack.com/workflows/T016M3G1GHZ/",
        );
    }

    /// trufflehog's JWT true positives: a pretty-printed header, an unsigned `alg: none`
    /// token; a signed token cut after its payload is not one.
    #[test]
    fn pretty_printed_and_unsigned_jwts_are_found() {
        let pretty = "ewogICJhbGciOiJIUzI1NiIsCiIgIHR5cCI6IkpXVCIKfQo.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30";
        assert_finds("jwt", &format!("Authorization: Bearer {pretty}\n"), pretty);
        let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.";
        assert_finds("jwt", &format!("Authorization: Bearer {none}\n"), none);
        // HS256 with the signature cut off.
        assert_clean(
            "jwt",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.",
        );
        // A header that is not JSON.
        assert_clean(
            "jwt",
            "ewogICJub3QganNvbg.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.c2lnbmF0dXJlLWJ5",
        );
    }
}
