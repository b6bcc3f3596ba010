//! Bounded load benchmark (not a test): how many DescribeServices calls per second the
//! simulator answers on loopback with the real SDK, and resident memory with many
//! services. `cargo run -p ecs-sim --example bench -- [seconds] [clients] [services]`.
//!
//! Two passes: one through the SDK (client cost included, which dominates in a debug
//! build), one with a minimal keep-alive HTTP/1.1 client, measuring the simulator alone.
//! With `ECS_SIM_ENDPOINT` set (for example a release `ecs-sim --manual-clock
//! --no-throttle`), it drives that server instead of starting one in-process.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_ecs::config::retry::RetryConfig;
use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType, NetworkConfiguration, NetworkMode,
};
use ecs_sim::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn client(endpoint: &str) -> aws_sdk_ecs::Client {
    let conf = aws_sdk_ecs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_ecs::Client::from_conf(conf)
}

/// Resident set size of this process (simulator included), from /proc.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn setup(ecs: &aws_sdk_ecs::Client, services: u64) -> Result<(), Box<dyn std::error::Error>> {
    ecs.create_cluster().cluster_name("bench").send().await?;
    ecs.register_task_definition()
        .family("bench")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(ContainerDefinition::builder().name("app").image("nginx:1").build())
        .send()
        .await?;
    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(AwsVpcConfiguration::builder().subnets("subnet-1").build()?)
        .build();
    let mut pending = tokio::task::JoinSet::new();
    for i in 0..services {
        let (ecs, network) = (ecs.clone(), network.clone());
        pending.spawn(async move {
            ecs.create_service()
                .cluster("bench")
                .service_name(format!("svc-{i}"))
                .task_definition("bench")
                .desired_count(1)
                .launch_type(LaunchType::Fargate)
                .network_configuration(network)
                .send()
                .await
        });
        if pending.len() >= 64 {
            pending.join_next().await.transpose()?.transpose()?;
        }
    }
    while let Some(r) = pending.join_next().await {
        r??;
    }
    Ok(())
}

/// One signed-looking DescribeServices request, sent over and over on one connection.
fn raw_request(addr: &str, service: &str) -> Vec<u8> {
    let body = format!(r#"{{"cluster":"bench","services":["{service}"]}}"#);
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one response with a Content-Length body; false on a non-200 answer.
async fn read_response(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(head.starts_with("http/1.1 200"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn raw_pass(endpoint: &str, seconds: u64, clients: u64) -> std::io::Result<(u64, u64)> {
    let addr = endpoint.trim_start_matches("http://").to_string();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for c in 0..clients {
        let addr = addr.clone();
        workers.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await?;
            stream.set_nodelay(true)?;
            let req = raw_request(&addr, &format!("svc-{c}"));
            let (mut ok, mut bad, mut buf) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                stream.write_all(&req).await?;
                if read_response(&mut stream, &mut buf).await? { ok += 1 } else { bad += 1 }
            }
            Ok::<_, std::io::Error>((ok, bad))
        });
    }
    let (mut ok, mut bad) = (0, 0);
    while let Some(r) = workers.join_next().await {
        let (o, b) = r.map_err(std::io::Error::other)??;
        ok += o;
        bad += b;
    }
    Ok((ok, bad))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (seconds, clients, services) = (arg(1, 5), arg(2, 32), arg(3, 10_000));
    let external = std::env::var("ECS_SIM_ENDPOINT").ok();
    let sim = match external {
        Some(_) => None,
        None => Some(ecs_sim::start(SimConfig { worker_threads: 2, ..SimConfig::for_tests() })?),
    };
    let endpoint = external.or_else(|| sim.as_ref().map(|s| s.endpoint().to_string())).unwrap_or_default();
    let ecs = client(&endpoint);
    let t0 = Instant::now();
    setup(&ecs, services).await?;
    if let Some(sim) = &sim {
        sim.advance(Duration::from_secs(120));
    }
    println!("created {services} services in {:.1?}; RSS {:.0} MiB", t0.elapsed(), rss_mib().unwrap_or(f64::NAN));

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (ecs, done, errors) = (ecs.clone(), done.clone(), errors.clone());
        workers.spawn(async move {
            let mut i = c;
            while Instant::now() < deadline {
                let name = format!("svc-{}", i % services.max(1));
                match ecs.describe_services().cluster("bench").services(name).send().await {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
                i += clients;
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let n = done.load(Ordering::Relaxed);
    println!(
        "{n} DescribeServices in {seconds} s with {clients} clients: {:.0} req/s, {} errors; RSS {:.0} MiB",
        n as f64 / seconds as f64,
        errors.load(Ordering::Relaxed),
        rss_mib().unwrap_or(f64::NAN)
    );
    let (ok, bad) = raw_pass(&endpoint, seconds, clients).await?;
    println!(
        "{ok} raw DescribeServices in {seconds} s with {clients} keep-alive connections: {:.0} req/s, {bad} non-200",
        ok as f64 / seconds as f64
    );
    Ok(())
}
