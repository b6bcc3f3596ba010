//! String formats and regular expressions with the apiserver's (Go) semantics.
//!
//! kube-apiserver strips every `format` outside a fixed list before validating
//! (`StripUnsupportedFormatsPostProcessorForVersion`), so `int32`, `int64`, `double` and
//! friends are never enforced; only the string formats listed in [`StringFormat`] are.
//! Patterns are RE2 in Go; Rust's `regex` is the same family, but its Perl classes are
//! Unicode-aware, so they are rewritten to Go's ASCII meaning first. This module holds no
//! state and never touches objects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// A string format the apiserver validates (`strfmt.Default` after stripping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringFormat {
    /// `bsonobjectid`
    BsonObjectId,
    /// `uri`
    Uri,
    /// `email`
    Email,
    /// `hostname`
    Hostname,
    /// `ipv4`
    Ipv4,
    /// `ipv6`
    Ipv6,
    /// `cidr`
    Cidr,
    /// `mac`
    Mac,
    /// `uuid`
    Uuid,
    /// `uuid3`
    Uuid3,
    /// `uuid4`
    Uuid4,
    /// `uuid5`
    Uuid5,
    /// `isbn`
    Isbn,
    /// `isbn10`
    Isbn10,
    /// `isbn13`
    Isbn13,
    /// `creditcard`
    CreditCard,
    /// `ssn`
    Ssn,
    /// `hexcolor`
    HexColor,
    /// `rgbcolor`
    RgbColor,
    /// `byte`
    Byte,
    /// `password`
    Password,
    /// `date`
    Date,
    /// `duration`
    Duration,
    /// `date-time` / `datetime`
    DateTime,
}

impl StringFormat {
    /// The supported format for a schema's `format`, or `None` when the apiserver would
    /// strip it. Names are normalised by dropping `-`, as go-openapi does.
    pub fn parse(name: &str) -> Option<Self> {
        let normalized = name.replace('-', "");
        Some(match normalized.as_str() {
            "bsonobjectid" => Self::BsonObjectId,
            "uri" => Self::Uri,
            "email" => Self::Email,
            "hostname" => Self::Hostname,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            "cidr" => Self::Cidr,
            "mac" => Self::Mac,
            "uuid" => Self::Uuid,
            "uuid3" => Self::Uuid3,
            "uuid4" => Self::Uuid4,
            "uuid5" => Self::Uuid5,
            "isbn" => Self::Isbn,
            "isbn10" => Self::Isbn10,
            "isbn13" => Self::Isbn13,
            "creditcard" => Self::CreditCard,
            "ssn" => Self::Ssn,
            "hexcolor" => Self::HexColor,
            "rgbcolor" => Self::RgbColor,
            "byte" => Self::Byte,
            "password" => Self::Password,
            "date" => Self::Date,
            "duration" => Self::Duration,
            "datetime" => Self::DateTime,
            _ => return None,
        })
    }

    /// Whether `s` is valid in this format. Checks follow go-openapi/strfmt closely
    /// for the formats CRDs commonly use (date-time, date, uuid, ip, cidr) and are
    /// looser approximations for the rest (email, uri, isbn, creditcard).
    pub fn validates(self, s: &str) -> bool {
        match self {
            Self::BsonObjectId => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
            Self::Uri => is_request_uri(s),
            Self::Email => matches(&EMAIL, s),
            Self::Hostname => matches(&HOSTNAME, s),
            Self::Ipv4 => s.parse::<Ipv4Addr>().is_ok(),
            Self::Ipv6 => s.contains(':') && s.parse::<Ipv6Addr>().is_ok(),
            Self::Cidr => is_cidr(s),
            Self::Mac => matches(&MAC, s),
            Self::Uuid => matches(&UUID, s),
            Self::Uuid3 => matches(&UUID3, s),
            Self::Uuid4 => matches(&UUID4, s),
            Self::Uuid5 => matches(&UUID5, s),
            Self::Isbn => is_isbn10(s) || is_isbn13(s),
            Self::Isbn10 => is_isbn10(s),
            Self::Isbn13 => is_isbn13(s),
            Self::CreditCard => {
                let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                (12..=19).contains(&digits.len())
            }
            Self::Ssn => matches(&SSN, s),
            Self::HexColor => matches(&HEXCOLOR, s),
            Self::RgbColor => matches(&RGBCOLOR, s),
            Self::Byte => matches(&BASE64, s),
            Self::Password => true,
            Self::Date => is_date(s),
            Self::Duration => matches(&DURATION, s),
            Self::DateTime => is_date_time(s),
        }
    }

    /// The name used in the "must be of type" message (the schema's own spelling is
    /// printed by the apiserver; this is only the fallback).
    pub fn name(self) -> &'static str {
        match self {
            Self::DateTime => "date-time",
            Self::Date => "date",
            Self::Duration => "duration",
            _ => "string",
        }
    }
}

fn matches(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    // The patterns below are constants; if one failed to compile we accept rather than
    // reject every object, and the unit tests catch the broken constant.
    re.as_ref().is_none_or(|r| r.is_match(s))
}

static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+$").ok());
static HOSTNAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)(\.[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?))*\.?$").ok()
});
static MAC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$").ok()
});
static UUID: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$").ok());
static UUID3: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$").ok());
static UUID4: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$").ok());
static UUID5: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$").ok());
static SSN: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$").ok());
static HEXCOLOR: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$").ok());
static RGBCOLOR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$").ok()
});
static BASE64: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$").ok()
});
// Go's time.ParseDuration units, plus strfmt's long forms ("3 days", "1 week").
static DURATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[-+]?(?:[0-9]*(?:\.[0-9]*)?(?:ns|us|µs|μs|ms|s|m|h))+|0|[0-9]+\s*(?:ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?))$",
    )
    .ok()
});
static TIME_OF_DAY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$").ok());

fn is_request_uri(s: &str) -> bool {
    // govalidator.IsRequestURI is url.ParseRequestURI: an absolute URI or an absolute path.
    if s.starts_with('/') {
        return true;
    }
    match s.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => bits <= 32,
        Ok(IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

fn isbn_chars(s: &str) -> Vec<char> {
    s.chars().filter(|c| *c != '-' && *c != ' ').collect()
}

fn is_isbn10(s: &str) -> bool {
    let c = isbn_chars(s);
    if c.len() != 10 {
        return false;
    }
    let mut sum = 0u32;
    for (i, ch) in c.iter().enumerate() {
        let v = match ch {
            'X' | 'x' if i == 9 => 10,
            d => match d.to_digit(10) {
                Some(v) => v,
                None => return false,
            },
        };
        sum += v * (10 - i as u32);
    }
    sum.is_multiple_of(11)
}

fn is_isbn13(s: &str) -> bool {
    let c = isbn_chars(s);
    if c.len() != 13 {
        return false;
    }
    let mut sum = 0u32;
    for (i, ch) in c.iter().enumerate() {
        let Some(v) = ch.to_digit(10) else {
            return false;
        };
        sum += if i % 2 == 0 { v } else { 3 * v };
    }
    sum.is_multiple_of(10)
}

/// `time.Parse("2006-01-02", s)`: exact layout and a real calendar day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// strfmt `IsDateTime`: lower-cased, split on `t`, a date and an RFC 3339 time.
fn is_date_time(s: &str) -> bool {
    if s.len() < 4 {
        return false;
    }
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if parts.len() < 2 || !is_date(parts[0]) {
        return false;
    }
    let Some(re) = TIME_OF_DAY.as_ref() else {
        return true;
    };
    match re.captures(parts[1]) {
        Some(c) => {
            let get = |i| c.get(i).map_or("", |m| m.as_str());
            get(1) <= "23" && get(2) <= "59" && get(3) <= "59"
        }
        None => false,
    }
}

/// Rewrites a Go RE2 pattern so Rust's `regex` gives it the same meaning: Go's `\d`,
/// `\w`, `\s` and `\b` are ASCII-only, Rust's are Unicode-aware with `unicode-perl`.
pub fn go_regex_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some(r"[\t\n\f\r ]"),
                    ('s', true) => Some(r"\t\n\f\r "),
                    ('S', false) => Some(r"[^\t\n\f\r ]"),
                    ('b', false) => Some(r"(?-u:\b)"),
                    ('B', false) => Some(r"(?-u:\B)"),
                    _ => None,
                };
                match replacement {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal, not the end of the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class such as [:alpha:] inside a bracket expression.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Compiles a schema `pattern` with Go semantics.
pub fn compile_go_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&go_regex_to_rust(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_patterns_compile() {
        for re in [
            &EMAIL,
            &HOSTNAME,
            &MAC,
            &UUID,
            &UUID3,
            &UUID4,
            &UUID5,
            &SSN,
            &HEXCOLOR,
            &RGBCOLOR,
            &BASE64,
            &DURATION,
            &TIME_OF_DAY,
        ] {
            assert!(re.is_some());
        }
    }

    #[test]
    fn formats() {
        let cases: &[(&str, &str, bool)] = &[
            ("date-time", "2024-01-02T03:04:05Z", true),
            ("date-time", "2024-01-02T03:04:05.123+02:00", true),
            ("date-time", "2024-02-30T03:04:05Z", false),
            ("date-time", "yesterday", false),
            ("date", "2024-02-29", true),
            ("date", "2023-02-29", false),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", true),
            ("uuid", "nope", false),
            ("ipv4", "10.0.0.1", true),
            ("ipv4", "10.0.0.256", false),
            ("ipv6", "::1", true),
            ("cidr", "10.0.0.0/16", true),
            ("cidr", "10.0.0.0/33", false),
            ("byte", "aGVsbG8=", true),
            ("byte", "not base64!", false),
            ("hostname", "example.com", true),
            ("duration", "1h30m", true),
            ("duration", "soon", false),
        ];
        for (format, value, ok) in cases {
            let f = StringFormat::parse(format);
            assert!(f.is_some(), "{format}");
            assert_eq!(f.is_some_and(|f| f.validates(value)), *ok, "{format} {value}");
        }
    }

    #[test]
    fn numeric_formats_are_stripped() {
        for f in ["int32", "int64", "double", "float", "uint"] {
            assert_eq!(StringFormat::parse(f), None, "{f}");
        }
    }

    #[test]
    fn go_perl_classes_are_ascii() {
        let cases: &[(&str, &str, bool)] = &[
            (r"^\d+$", "123", true),
            (r"^\d+$", "١٢٣", false), // Arabic-Indic digits: Unicode \d, not Go's
            (r"^[\d-]+$", "1-2", true),
            (r"^\w+$", "é", false),
            (r"^[a-z]{2}(-[a-z]+)+-\d$", "eu-west-1", true),
            (r"^[]a]+$", "]a", true),
            (r"^[[:alpha:]]+$", "abc", true),
        ];
        for (pattern, input, ok) in cases {
            let re = compile_go_regex(pattern);
            assert!(re.is_ok(), "{pattern}: {re:?}");
            assert_eq!(re.is_ok_and(|r| r.is_match(input)), *ok, "{pattern} {input}");
        }
    }
}
