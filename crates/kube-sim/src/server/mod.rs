//! The HTTP(S) server: accepts connections, routes requests to discovery, OpenAPI, resource
//! verbs, watches and the `/_sim/` test controls, and applies injected faults.

pub mod api;
pub mod clock;
pub mod discovery;
pub mod events;
pub mod objects;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod routes;
pub mod selectors;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
pub mod watch;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use self::api::{Reply, ResourceRequest};
use self::registry::{Registry, ResourceDef};
use self::routes::{Query, Route};
use self::status::ApiError;
use self::store::{ObjectKey, ResourceId, Store};

type Body = BoxBody<Bytes, Infallible>;

/// Faults tests can inject.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Fail this many upcoming API requests…
    pub fail_next: u32,
    /// …with this HTTP status (default 500).
    pub fail_status: u16,
    /// Added before every API request is answered.
    pub latency: Duration,
    /// Requests refused until removed, as a missing RBAC permission or a failed validation
    /// refuses them.
    pub refusals: Vec<Refusal>,
}

/// A kind of request kube-sim refuses, the way the API server refuses one its caller may not
/// make (403, with the RBAC authorizer's message naming the user, verb and resource) or one
/// that does not validate (422). Refused requests are still counted in the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The verb as RBAC names it: get, list, watch, create, update, patch, delete.
    pub verb: String,
    /// The resource (plural), e.g. `ecsservices`.
    pub resource: String,
    /// The subresource, e.g. `status`; empty for the object itself.
    pub subresource: String,
    /// 403 or 422.
    pub code: u16,
}

/// Requests seen, per (verb, group, resource, subresource): what RBAC must allow.
pub type RequestLog = BTreeMap<(String, String, String, String), u64>;

/// The same, per client: the product token of the User-Agent ("kubectl", "Helm"; empty when
/// the client sends none, as kube-rs does), so a test can tell its own requests from an
/// operator's.
pub type AgentRequestLog = BTreeMap<String, RequestLog>;

/// Shared server state.
pub struct State {
    store: Mutex<Store>,
    registry: RwLock<Registry>,
    faults: Mutex<Faults>,
    requests: Mutex<RequestLog>,
    agent_requests: Mutex<AgentRequestLog>,
    watch_epoch: tokio::sync::watch::Sender<u64>,
    bookmark_interval: Duration,
    /// `KUBE_SIM_LOG_REQUESTS=1` prints every request to stderr, for debugging clients.
    log_requests: bool,
}

impl State {
    pub fn new(history_limit: usize, bookmark_interval: Duration) -> Self {
        let mut store = Store::new(history_limit);
        let ns = ResourceId::new("", "namespaces");
        for name in ["default", "kube-system", "kube-public"] {
            let object = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "uid": clock::new_uid(), "creationTimestamp": clock::now_rfc3339()},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            store.put(&ns, (String::new(), name.to_owned()), object, store::EventType::Added);
        }
        Self {
            store: Mutex::new(store),
            registry: RwLock::new(Registry::with_builtins()),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(RequestLog::new()),
            agent_requests: Mutex::new(AgentRequestLog::new()),
            watch_epoch: tokio::sync::watch::channel(0).0,
            bookmark_interval,
            log_requests: std::env::var_os("KUBE_SIM_LOG_REQUESTS").is_some_and(|v| v == "1"),
        }
    }

    // A poisoned lock only means another request panicked mid-way; the data is still usable
    // for a test server, so recover it rather than failing every later request.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn registry(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn registry_mut(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|e| e.into_inner())
    }
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn request_log(&self) -> RequestLog {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn agent_request_log(&self) -> AgentRequestLog {
        self.agent_requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Ends every open watch; clients reconnect from their last resourceVersion.
    pub fn drop_watches(&self) {
        self.watch_epoch.send_modify(|e| *e += 1);
    }

    /// Forgets watch history, so the next resume gets 410 Gone and the client relists.
    pub fn expire_history(&self) {
        self.store().compact();
        self.drop_watches();
    }

    /// Follow-ups to a removal: a CRD takes its resource with it; a terminating namespace
    /// disappears when empty.
    fn after_removal(&self, def: &ResourceDef, removed: &Value) {
        if def.group == "apiextensions.k8s.io" && def.plural == "customresourcedefinitions" {
            let group = removed.pointer("/spec/group").and_then(Value::as_str).unwrap_or_default();
            let plural = removed.pointer("/spec/names/plural").and_then(Value::as_str).unwrap_or_default();
            let id = ResourceId::new(group, plural);
            self.registry_mut().remove(&id);
            self.store().drop_resource(&id);
        }
        if let Some(ns) = removed.pointer("/metadata/namespace").and_then(Value::as_str) {
            self.finish_namespace_if_empty(ns);
        }
    }

    /// Deletes everything in a terminating namespace (honouring finalizers).
    fn empty_namespace(&self, namespace: &str) {
        let defs: Vec<Arc<ResourceDef>> = self.registry().all().filter(|d| d.namespaced).cloned().collect();
        for def in defs {
            let targets: Vec<ObjectKey> = self
                .store()
                .list(&def.id(), Some(namespace))
                .map(|o| (namespace.to_owned(), objects::name(o).to_owned()))
                .collect();
            for key in targets {
                let _ = api::delete_object(self, &def, key);
            }
        }
        self.finish_namespace_if_empty(namespace);
    }

    fn finish_namespace_if_empty(&self, namespace: &str) {
        let ns_id = ResourceId::new("", "namespaces");
        let key = (String::new(), namespace.to_owned());
        let terminating = self.store().get(&ns_id, &key).is_some_and(objects::is_deleting);
        if !terminating {
            return;
        }
        let defs: Vec<ResourceId> = self.registry().all().filter(|d| d.namespaced).map(|d| d.id()).collect();
        let store = self.store();
        let empty = defs.iter().all(|id| store.list(id, Some(namespace)).next().is_none());
        drop(store);
        if empty {
            self.store().remove(&ns_id, &key);
        }
    }
}

/// Options for [`serve`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub port: u16,
    pub tls: bool,
    /// Changes kept for watch resume; older resourceVersions get 410 Gone.
    pub history_limit: usize,
    pub bookmark_interval: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { port: 0, tls: true, history_limit: 10_000, bookmark_interval: Duration::from_secs(5) }
    }
}

/// A bound, running server.
pub struct Running {
    pub url: String,
    pub ca_pem: Option<String>,
    pub state: Arc<State>,
    pub shutdown: tokio::sync::watch::Sender<bool>,
}

/// Binds 127.0.0.1 and serves until `shutdown` is set.
pub async fn serve(options: ServerOptions) -> Result<Running, crate::Error> {
    let listener =
        TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port))).await.map_err(crate::Error::Bind)?;
    let addr = listener.local_addr().map_err(crate::Error::Bind)?;
    let state = Arc::new(State::new(options.history_limit, options.bookmark_interval));
    let (shutdown, mut stop) = tokio::sync::watch::channel(false);
    let (acceptor, ca_pem, scheme) = if options.tls {
        let material = tls::generate()?;
        (Some(tokio_rustls::TlsAcceptor::from(material.config)), Some(material.ca_pem), "https")
    } else {
        (None, None, "http")
    };
    let accept_state = state.clone();
    let mut conn_stop = stop.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.changed() => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, _)) = accepted else { continue };
            let state = accept_state.clone();
            let acceptor = acceptor.clone();
            let stop = conn_stop.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                let builder = hyper::server::conn::http1::Builder::new();
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            serve_connection(builder, hyper_util::rt::TokioIo::new(tls), service, stop).await;
                        }
                    }
                    None => serve_connection(builder, hyper_util::rt::TokioIo::new(stream), service, stop).await,
                }
            });
        }
        // Close watches so clients see the server go away.
        accept_state.drop_watches();
        let _ = conn_stop.changed().await;
    });
    Ok(Running { url: format!("{scheme}://{addr}"), ca_pem, state, shutdown })
}

async fn serve_connection<I, S>(
    builder: hyper::server::conn::http1::Builder,
    io: I,
    service: S,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => conn.as_mut().graceful_shutdown(),
    }
}

fn json_response(code: u16, body: &Value, content_type: &str, warnings: &[String]) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .header("cache-control", "no-cache, private");
    for w in warnings {
        builder = builder.header("warning", format!("299 - \"{}\"", w.replace('"', "\\\"")));
    }
    builder
        .body(Full::new(Bytes::from(bytes)).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

fn error_response(err: ApiError) -> Response<Body> {
    json_response(err.code, &err.body, "application/json", &[])
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = Query::parse(req.uri().query());
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (accept, content_type, user_agent) = (header("accept"), header("content-type"), header("user-agent"));
    if state.log_requests {
        eprintln!("kube-sim: {method} {} content-type={content_type:?} accept={accept:?} ua={user_agent:?}", req.uri());
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Ok(error_response(ApiError::bad_request("could not read the request body"))),
    };
    let Some(route) = routes::parse(&path) else {
        return Ok(error_response(ApiError::resource_not_found(&path)));
    };
    if !matches!(route, Route::Admin(_) | Route::Health) {
        let (fail, latency) = {
            let mut faults = state.faults();
            let fail = (faults.fail_next > 0).then(|| {
                faults.fail_next -= 1;
                if faults.fail_status == 0 { 500 } else { faults.fail_status }
            });
            (fail, faults.latency)
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(code) = fail {
            return Ok(error_response(ApiError::injected(code)));
        }
    }
    let json = "application/json";
    let response = match route {
        Route::Version => json_response(200, &discovery::version(), json, &[]),
        Route::Health => Response::new(Full::new(Bytes::from_static(b"ok")).boxed()),
        Route::CoreVersions if discovery::wants_aggregated(&accept) => {
            json_response(200, &discovery::aggregated(&state.registry(), true), discovery::AGGREGATED_CONTENT_TYPE, &[])
        }
        Route::CoreVersions => json_response(200, &discovery::core_versions(), json, &[]),
        Route::Groups if discovery::wants_aggregated(&accept) => json_response(
            200,
            &discovery::aggregated(&state.registry(), false),
            discovery::AGGREGATED_CONTENT_TYPE,
            &[],
        ),
        Route::Groups => json_response(200, &discovery::groups(&state.registry()), json, &[]),
        Route::Group(g) => match discovery::group(&state.registry(), &g) {
            Some(doc) => json_response(200, &doc, json, &[]),
            None => error_response(ApiError::resource_not_found(&path)),
        },
        Route::GroupVersion { group, version } => match discovery::resource_list(&state.registry(), &group, &version) {
            Some(doc) => json_response(200, &doc, json, &[]),
            None => error_response(ApiError::resource_not_found(&path)),
        },
        Route::OpenApiV2 => {
            if accept.contains("protobuf") && !accept.contains("application/json") {
                error_response(ApiError::not_acceptable("kube-sim serves OpenAPI v2 as JSON only"))
            } else {
                json_response(200, &openapi::v2_document(&state.registry()), json, &[])
            }
        }
        Route::OpenApiV3Index => json_response(200, &openapi::v3_index(&state.registry()), json, &[]),
        Route::OpenApiV3 { group, version } => {
            json_response(200, &openapi::v3_document(&state.registry(), &group, &version), json, &[])
        }
        Route::Admin(action) => admin(&state, &method, &action, &body),
        Route::Resource(path) => {
            let request = ResourceRequest { path, query, content_type, accept, user_agent, body };
            match resource(state, &method, request).await {
                Ok(response) => response,
                Err(err) => error_response(err),
            }
        }
    };
    Ok(response)
}

fn verb(method: &Method, named: bool, watch: bool) -> &'static str {
    match (method, named, watch) {
        (&Method::GET, _, true) => "watch",
        (&Method::GET, true, _) => "get",
        (&Method::GET, false, _) => "list",
        (&Method::POST, _, _) => "create",
        (&Method::PUT, _, _) => "update",
        (&Method::PATCH, _, _) => "patch",
        (&Method::DELETE, true, _) => "delete",
        (&Method::DELETE, false, _) => "deletecollection",
        _ => "unknown",
    }
}

async fn resource(state: Arc<State>, method: &Method, req: ResourceRequest) -> Result<Response<Body>, ApiError> {
    let def = api::resolve(&state, &req.path)?;
    let watch = req.query.flag("watch");
    let verb = verb(method, req.path.name.is_some(), watch);
    {
        let key =
            (verb.to_owned(), def.group.clone(), def.plural.clone(), req.path.subresource.clone().unwrap_or_default());
        *state.requests.lock().unwrap_or_else(|e| e.into_inner()).entry(key.clone()).or_default() += 1;
        let agent = req.user_agent.split('/').next().unwrap_or_default().to_owned();
        let mut by_agent = state.agent_requests.lock().unwrap_or_else(|e| e.into_inner());
        *by_agent.entry(agent).or_default().entry(key).or_default() += 1;
    }
    if let Some(sub) = req.path.subresource.as_deref()
        && (sub != "status" || !def.has_status)
    {
        return Err(ApiError::resource_not_found(&format!("{}/{sub}", def.plural)));
    }
    let subresource = req.path.subresource.as_deref().unwrap_or_default();
    let refusal = state
        .faults()
        .refusals
        .iter()
        .find(|r| r.verb == verb && r.resource == def.plural && r.subresource == subresource)
        .map(|r| r.code);
    if let Some(code) = refusal {
        return Err(ApiError::refused(code, verb, &def.group, &def.plural, &req.path));
    }
    if watch {
        let rx = watch::start(state.clone(), def.clone(), req.path.clone(), &req.query)?;
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
        });
        let body = BodyExt::boxed(StreamBody::new(stream));
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("transfer-encoding", "chunked")
            .body(body)
            .map_err(|e| ApiError::internal(e.to_string()));
    }
    let name = req.path.name.clone();
    let reply: Reply = match (method, name.as_deref()) {
        (&Method::GET, Some(name)) => api::get(&state, &def, &req, name)?,
        (&Method::GET, None) => api::list(&state, &def, &req)?,
        (&Method::POST, None) => api::create(&state, &def, &req)?,
        (&Method::PUT, Some(name)) => api::update(&state, &def, &req, name)?,
        (&Method::PATCH, Some(name)) => api::patch(&state, &def, &req, name)?,
        (&Method::DELETE, Some(name)) => api::delete(&state, &def, &req, name)?,
        (&Method::DELETE, None) => api::delete_collection(&state, &def, &req)?,
        _ => return Err(ApiError::method_not_allowed(format!("{method} is not supported on {}", def.plural))),
    };
    let content_type = if table::wants_table(&req.accept) && reply.body.get("kind") == Some(&json!("Table")) {
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    } else {
        "application/json"
    };
    Ok(json_response(reply.code, &reply.body, content_type, &reply.warnings))
}

/// `/_sim/*`: test controls over plain JSON.
fn admin(state: &State, method: &Method, action: &str, body: &[u8]) -> Response<Body> {
    let json = "application/json";
    let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (method, action) {
        (&Method::POST, "drop-watches") => {
            state.drop_watches();
            json_response(200, &json!({"ok": true}), json, &[])
        }
        (&Method::POST, "expire-history") => {
            state.expire_history();
            json_response(200, &json!({"ok": true}), json, &[])
        }
        (&Method::POST, "faults") => {
            let mut faults = state.faults();
            faults.fail_next = input.get("failNext").and_then(Value::as_u64).unwrap_or(0) as u32;
            faults.fail_status = input.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
            faults.latency = Duration::from_millis(input.get("latencyMs").and_then(Value::as_u64).unwrap_or(0));
            json_response(200, &json!({"ok": true}), json, &[])
        }
        (&Method::GET, "requests") => {
            let rows: Vec<Value> = state
                .request_log()
                .into_iter()
                .map(|((verb, group, resource, sub), count)| {
                    json!({"verb": verb, "group": group, "resource": resource, "subresource": sub, "count": count})
                })
                .collect();
            json_response(200, &json!({"requests": rows}), json, &[])
        }
        _ => error_response(ApiError::resource_not_found(&format!("/_sim/{action}"))),
    }
}
