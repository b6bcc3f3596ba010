//! The HTTP front end: one hyper 1 HTTP/1.1 server that routes `/_sim/*` to the admin
//! API, `X-Amz-Target` JSON 1.1 calls to ECS or Application Auto Scaling, JSON 1.0
//! `AmazonSQS.*` calls to SQS, and form-encoded calls to STS. Signatures are required to be
//! present, never verified.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::{ApiError, ErrorKind};
use crate::sim::{Api, Caller, Sim};
use crate::sqs::SqsError;
use crate::sts;

const ECS_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
const AUTOSCALING_PREFIX: &str = "AnyScaleFrontendService.";
const SQS_PREFIX: &str = "AmazonSQS.";
const JSON_11: &str = "application/x-amz-json-1.1";
const JSON_10: &str = "application/x-amz-json-1.0";
/// Requests larger than this are refused; ECS's own limit is far lower.
const MAX_BODY: usize = 8 * 1024 * 1024;

pub type HttpResponse = Response<Full<Bytes>>;

/// Accepts connections until `shutdown` flips.
pub async fn serve(listener: TcpListener, sim: Sim, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let sim = sim.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(sim.clone(), req));
                    // A client hanging up mid-request is not the simulator's problem.
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    let n = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    format!("00000000-0000-4000-8000-{n:012x}")
}

pub fn response(status: u16, content_type: &str, body: impl Into<Bytes>, request_id: &str) -> HttpResponse {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("text/plain")));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    resp
}

/// AWS never sends JSON nulls; absent members are simply missing.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn json_ok(mut body: Value, rid: &str) -> HttpResponse {
    strip_nulls(&mut body);
    response(200, JSON_11, body.to_string(), rid)
}

fn json_error(err: &ApiError, rid: &str) -> HttpResponse {
    response(err.status, JSON_11, err.to_json().to_string(), rid)
}

async fn handle(sim: Sim, req: Request<Incoming>) -> Result<HttpResponse, Infallible> {
    let rid = request_id();
    let (parts, body) = req.into_parts();
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return Ok(json_error(&e, &rid)),
    };
    if parts.uri.path().starts_with("/_sim/") {
        return Ok(crate::admin::handle(&sim, &parts.method, parts.uri.path(), &body, &rid));
    }
    if parts.method != Method::POST {
        let err = ApiError::new(ErrorKind::UnknownOperation, "Only POST is supported.");
        return Ok(json_error(&err, &rid));
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let auth = header(AUTHORIZATION.as_str());
    let target = header("x-amz-target");
    let is_form = header(CONTENT_TYPE.as_str()).is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !auth.as_deref().is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 ")) {
        let err = ApiError::new(ErrorKind::MissingAuthenticationToken, "Missing Authentication Token");
        return Ok(if is_form { sts_error(&err, &rid) } else { json_error(&err, &rid) });
    }
    let resp = match target {
        Some(t) if t.starts_with(SQS_PREFIX) => {
            // Queue URLs name the endpoint the client reached, as SQS's name the regional one.
            let base = format!("http://{}", header(HOST.as_str()).unwrap_or_else(|| "127.0.0.1".to_string()));
            let op = t.strip_prefix(SQS_PREFIX).unwrap_or_default();
            sqs_call(&sim, op, &body, &base, &rid).await
        }
        Some(t) => {
            let caller = Caller {
                access_key: access_key(auth.as_deref()).map(str::to_owned),
                region: signed_region(auth.as_deref()).map(str::to_owned),
                user_agent: header(USER_AGENT.as_str()),
                request_id: Some(rid.clone()),
            };
            json_call(&sim, &t, &body, &caller, &rid).await
        }
        None if is_form => sts_call(&sim, &body, auth.as_deref(), &rid).await,
        None => json_error(&ApiError::new(ErrorKind::UnknownOperation, "Missing X-Amz-Target."), &rid),
    };
    Ok(resp)
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    let bytes = body
        .collect()
        .await
        .map_err(|e| ApiError::new(ErrorKind::Serialization, format!("reading request body: {e}")))?
        .to_bytes();
    if bytes.len() > MAX_BODY {
        return Err(ApiError::new(ErrorKind::Serialization, "Request body too large."));
    }
    Ok(bytes)
}

/// Delays and failures decided before the call runs; None means run it.
async fn admitted(sim: &Sim, op: &str) -> Option<ApiError> {
    let admission = sim.admit(op);
    if let Some(latency) = admission.latency {
        tokio::time::sleep(latency).await;
    }
    admission.error
}

async fn json_call(sim: &Sim, target: &str, body: &[u8], caller: &Caller, rid: &str) -> HttpResponse {
    let (api, op) = if let Some(op) = target.strip_prefix(ECS_PREFIX) {
        (Api::Ecs, op)
    } else if let Some(op) = target.strip_prefix(AUTOSCALING_PREFIX) {
        (Api::AutoScaling, op)
    } else {
        return json_error(&ApiError::new(ErrorKind::UnknownOperation, format!("Unknown target {target}")), rid);
    };
    let parsed: Value = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return json_error(&ApiError::new(ErrorKind::Serialization, format!("Invalid JSON: {e}")), rid),
        }
    };
    if let Some(err) = admitted(sim, op).await {
        return json_error(&err, rid);
    }
    match sim.run_json_as(api, op, &parsed, caller) {
        Ok(mut v) => {
            sim.mutate_response(op, &mut v);
            json_ok(v, rid)
        }
        Err(e) => json_error(&e, rid),
    }
}

/// SQS's error answer: the JSON 1.0 body and the `x-amzn-query-error` header.
fn sqs_error(err: &SqsError, rid: &str) -> HttpResponse {
    let mut resp = response(err.status, JSON_10, err.to_json().to_string(), rid);
    if let Ok(v) = HeaderValue::from_str(&err.query_error()) {
        resp.headers_mut().insert("x-amzn-query-error", v);
    }
    resp
}

async fn sqs_call(sim: &Sim, op: &str, body: &[u8], base: &str, rid: &str) -> HttpResponse {
    let parsed: Value = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                let err = SqsError::from_api(&ApiError::new(ErrorKind::Serialization, format!("Invalid JSON: {e}")));
                return sqs_error(&err, rid);
            }
        }
    };
    let admission = sim.admit_sqs(op);
    if let Some(latency) = admission.latency {
        tokio::time::sleep(latency).await;
    }
    if let Some(err) = admission.error {
        return sqs_error(&SqsError::from_api(&err), rid);
    }
    match sim.run_sqs(op, &parsed, base).await {
        Ok(mut v) => {
            strip_nulls(&mut v);
            response(200, JSON_10, v.to_string(), rid)
        }
        Err(e) => sqs_error(&e, rid),
    }
}

fn sts_error(err: &ApiError, rid: &str) -> HttpResponse {
    response(err.status, "text/xml", sts::error_xml(err, rid), rid)
}

/// The region from `Credential=AKID/date/region/service/aws4_request`.
fn signed_region(auth: Option<&str>) -> Option<&str> {
    let cred = auth?.split("Credential=").nth(1)?;
    cred.split('/').nth(2)
}

/// The access key id from `Credential=AKID/date/region/service/aws4_request`.
fn access_key(auth: Option<&str>) -> Option<&str> {
    let cred = auth?.split("Credential=").nth(1)?;
    cred.split('/').next()
}

async fn sts_call(sim: &Sim, body: &[u8], auth: Option<&str>, rid: &str) -> HttpResponse {
    let form = sts::parse_form(&String::from_utf8_lossy(body));
    let op = form.get("Action").cloned().unwrap_or_default();
    if let Some(err) = admitted(sim, &op).await {
        return sts_error(&err, rid);
    }
    match sim.run_sts(&form, access_key(auth), rid) {
        Ok(xml) => response(200, "text/xml", xml, rid),
        Err(e) => sts_error(&e, rid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_dropped_recursively() {
        let mut v = serde_json::json!({"a": null, "b": [{"c": null, "d": 1}]});
        strip_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"b": [{"d": 1}]}));
    }

    #[test]
    fn access_key_from_sigv4_header() {
        let h = "AWS4-HMAC-SHA256 Credential=ASIAXYZ/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(access_key(Some(h)), Some("ASIAXYZ"));
        assert_eq!(signed_region(Some(h)), Some("us-east-1"));
    }
}
