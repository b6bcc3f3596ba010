//! STS over the query protocol (form-encoded POST, XML answers): GetCallerIdentity and
//! AssumeRole. Credentials handed out by AssumeRole are remembered so a later
//! GetCallerIdentity signed with them reports the assumed role, as AWS does.
//! ECS state is not partitioned per account: an assumed role sees the same resources.

use crate::clock::{iso8601, wall_clock_ms};
use crate::error::{ApiError, ErrorKind};
use crate::state::State;
use std::collections::HashMap;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Decodes `application/x-www-form-urlencoded`.
pub fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The STS error document.
pub fn error_xml(err: &ApiError, request_id: &str) -> String {
    let kind = if err.status >= 500 { "Receiver" } else { "Sender" };
    format!(
        "<ErrorResponse xmlns=\"{NS}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        xml_escape(&err.type_name),
        xml_escape(&err.message)
    )
}

fn invalid(msg: &str) -> ApiError {
    ApiError::custom("ValidationError", 400, msg)
}

impl State {
    /// Runs one STS action; `access_key` is the key id the request was signed with.
    pub fn call_sts(
        &mut self,
        form: &HashMap<String, String>,
        access_key: Option<&str>,
        request_id: &str,
    ) -> Result<String, ApiError> {
        let action = form.get("Action").map(String::as_str).unwrap_or_default();
        let result = match action {
            "GetCallerIdentity" => self.get_caller_identity(access_key),
            "AssumeRole" => self.assume_role(form)?,
            other => return Err(ApiError::new(ErrorKind::UnknownOperation, format!("Unknown action {other}"))),
        };
        Ok(format!(
            "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        ))
    }

    fn get_caller_identity(&self, access_key: Option<&str>) -> String {
        let assumed = access_key.and_then(|k| self.sts_sessions.get(k));
        let (arn, account, user_id) = match assumed {
            Some(arn) => {
                let account = arn.split(':').nth(4).unwrap_or(&self.ident.account).to_string();
                let session = arn.rsplit('/').next().unwrap_or_default();
                (arn.clone(), account, format!("AROASIMULATOR:{session}"))
            }
            None => (self.ident.caller_arn(), self.ident.account.clone(), "AIDASIMULATOR".to_string()),
        };
        format!(
            "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
            xml_escape(&arn),
            xml_escape(&user_id),
            xml_escape(&account)
        )
    }

    fn assume_role(&mut self, form: &HashMap<String, String>) -> Result<String, ApiError> {
        let role_arn = form.get("RoleArn").ok_or_else(|| invalid("RoleArn is required"))?;
        let session = form.get("RoleSessionName").ok_or_else(|| invalid("RoleSessionName is required"))?;
        let session_ok = (2..=64).contains(&session.len())
            && session.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !session_ok {
            return Err(invalid(
                "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
            ));
        }
        let parts: Vec<&str> = role_arn.split(':').collect();
        let (account, role) = match parts.as_slice() {
            ["arn", "aws", "iam", "", account, resource] => (
                account.to_string(),
                resource.strip_prefix("role/").ok_or_else(|| invalid("RoleArn must name a role"))?,
            ),
            _ => return Err(invalid(&format!("{role_arn} is invalid"))),
        };
        let role_name = role.rsplit('/').next().unwrap_or(role);
        let duration: u64 = form.get("DurationSeconds").and_then(|d| d.parse().ok()).unwrap_or(3600);
        if !(900..=43_200).contains(&duration) {
            return Err(invalid("DurationSeconds must be between 900 and 43200"));
        }
        let key_id = format!("ASIA{}", self.random_hex(16).to_ascii_uppercase());
        let secret = self.random_hex(40);
        let token = self.random_hex(64);
        let assumed_arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
        self.sts_sessions.insert(key_id.clone(), assumed_arn.clone());
        // Real time, not simulated: the SDK checks expiry against the machine's clock.
        let now = wall_clock_ms() / 1000;
        Ok(format!(
            "<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROASIMULATOR:{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize>",
            iso8601(now + duration),
            xml_escape(session),
            xml_escape(&assumed_arn)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let f = parse_form("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&RoleSessionName=a+b");
        assert_eq!(f["RoleArn"], "arn:aws:iam::1:role/x");
        assert_eq!(f["RoleSessionName"], "a b");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
