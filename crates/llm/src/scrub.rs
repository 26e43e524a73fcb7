//! Privacy before anything leaves the machine: secrets and personal data are
//! replaced by typed placeholders (`[email]`, `[secret]`, ...) in everything the
//! LLM judge sends.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// What the scrubber replaces, in order (longer, more specific patterns first).
static RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("private_key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        // Provider keys and tokens with known shapes.
        ("secret", r"\b(sk-(proj-|ant-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{30,})\b"),
        // Credentials in URLs: scheme://user:password@host.
        ("secret", r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/:@]+:[^\s/@]+@"),
        ("secret", r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}"),
        // key = value / key: value for names that say secret.
        ("secret", r#"(?i)\b([a-z0-9_.-]*(password|passwd|secret|token|api[_-]?key|access[_-]?key|auth)[a-z0-9_.-]*)\s*[:=]\s*["']?[^\s"',;]{6,}"#),
        ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
        ("ip", r"\b(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\b"),
        ("ip", r"\b([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"),
        // Phone numbers: international (+CC then 6-14 digits in groups: +44 20 7946
        // 0958, +49 (0)30 1234567, +86 138 0013 8000), North American ((415)
        // 555-0132, 415.555.0132), and national trunk-prefixed ones with
        // separators (020 7946 0958, 07911 123456, 06 12 34 56 78).
        ("phone", r"\+\d{1,3}(?:[\s.-]?\(\d{1,4}\))?(?:[\s.-]?\d{1,5}){2,6}\b"),
        ("phone", r"(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"),
        ("phone", r"\b0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}\b"),
        ("phone", r"\b0\d(?:[\s.-]\d{2}){4}\b"),
        // Long hex or base64 runs: keys, hashes of secrets, session cookies.
        ("secret", r"\b[A-Fa-f0-9]{40,}\b"),
    ]
    .into_iter()
    .map(|(k, p)| (k, Regex::new(p).expect("valid scrub rule")))
    .collect()
});

/// User names in home directories: `/home/NAME/`, `/Users/NAME/`, `C:\Users\NAME\`.
static HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(/home/|/Users/|[A-Z]:\\Users\\)([^/\\\s\[][^/\\\s]*)").expect("valid")
});

/// Counts of what was replaced, by kind.
pub type Scrubbed = BTreeMap<&'static str, u64>;

/// `text` with secrets and personal data replaced; adds what it replaced to `counts`.
pub fn scrub(text: &str, counts: &mut Scrubbed) -> String {
    let mut out = HOME
        .replace_all(text, |c: &regex::Captures| {
            *counts.entry("home_user").or_default() += 1;
            format!("{}[user]", &c[1])
        })
        .into_owned();
    for (kind, re) in RULES.iter() {
        if !re.is_match(&out) {
            continue;
        }
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                *counts.entry(kind).or_default() += 1;
                // Keep a URL's scheme so the text still reads.
                if c[0].contains("://") && c[0].ends_with('@') {
                    format!("{}[secret]@", &c[1])
                } else {
                    format!("[{kind}]")
                }
            })
            .into_owned();
    }
    out
}

/// Whether `text` has anything the scrubber would replace.
pub fn has_sensitive(text: &str) -> bool {
    HOME.is_match(text) || RULES.iter().any(|(_, re)| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planted secrets: every one must be gone, and the words around them kept.
    const CORPUS: &[(&str, &str)] = &[
        ("mail me at jane.doe+ci@example.co.uk please", "jane.doe"),
        (
            "export OPENAI_API_KEY=sk-proj-AbCdEf1234567890XyZabc",
            "sk-proj-AbCdEf",
        ),
        (
            "token ghp_0123456789abcdefghijABCDEFGHIJ0123 leaked",
            "ghp_0123456789",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "github_pat_11",
        ),
        ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
        ("aws AKIAIOSFODNN7EXAMPLE key", "AKIAIOSFODNN7EXAMPLE"),
        ("google AIzaSyA-1234567890abcdefghijklmnopqrstu", "AIzaSyA"),
        ("password: hunter2hunter2", "hunter2hunter2"),
        ("DB_PASSWORD=\"s3cr3t-pa55\"", "s3cr3t-pa55"),
        (
            "curl -H 'Authorization: Bearer abcdef123456789xyz'",
            "abcdef123456789xyz",
        ),
        ("postgres://admin:pa55word@db.internal:5432/app", "pa55word"),
        ("server at 10.20.30.40 is down", "10.20.30.40"),
        (
            "v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:0db8:85a3",
        ),
        ("call me on +1 415-555-0132", "555-0132"),
        ("ring +44 20 7946 0958 after six", "7946 0958"),
        ("mobile +44 7911 123456", "7911 123456"),
        ("Tel. +49 (0)30 1234567", "1234567"),
        ("+33 1 23 45 67 89 is the office", "45 67 89"),
        ("+86 138 0013 8000", "0013 8000"),
        ("+7 912 345-67-89", "345-67-89"),
        ("+4915112345678", "4915112345678"),
        ("office (415) 555-0132", "555-0132"),
        ("415.555.0132", "555.0132"),
        ("call 020 7946 0958", "7946 0958"),
        ("07911 123456 is my mobile", "07911 123456"),
        ("06 12 34 56 78", "12 34 56 78"),
        ("open /home/jdoe/projects/x/main.rs", "jdoe"),
        ("see /Users/Alice.Smith/src/app.ts", "Alice.Smith"),
        (r"C:\Users\bob\repo\main.py failed", "bob"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA",
        ),
        (
            "session=4f9a2b7c8d1e0f3a5b6c7d8e9f0a1b2c3d4e5f6a7b8c",
            "4f9a2b7c8d1e0f3a5b6c",
        ),
    ];

    #[test]
    fn every_planted_secret_is_removed() {
        let mut counts = Scrubbed::new();
        for (text, secret) in CORPUS {
            let out = scrub(text, &mut counts);
            assert!(!out.contains(secret), "{secret:?} survived in {out:?}");
            assert!(!has_sensitive(&out), "still sensitive: {out:?}");
        }
        for kind in [
            "email",
            "secret",
            "ip",
            "phone",
            "home_user",
            "jwt",
            "private_key",
        ] {
            assert!(
                counts.get(kind).copied().unwrap_or(0) > 0,
                "{kind}: {counts:?}"
            );
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let mut counts = Scrubbed::new();
        for text in [
            "the tests fail on line 42 of the parser",
            "use version 1.2.3 and retry 3 times",
            "rename the function and run cargo test",
            "see src/lib.rs for the token type",
            "released on 2026-11-02 at 14:05, version 1.12.3",
            "error at line 120 column 14: expected 2 arguments",
            "the build took 12.5 s and 1024 MB",
            "ids 1234 5678 failed",
        ] {
            assert_eq!(scrub(text, &mut counts), text);
        }
        assert!(counts.is_empty(), "{counts:?}");
        let out = scrub("open /home/jdoe/x.rs", &mut counts);
        assert_eq!(out, "open /home/[user]/x.rs");
    }
}
