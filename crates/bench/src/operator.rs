//! The operator under test: the real binary as a child process (so its memory and CPU are its
//! own), aimed at the simulators exactly as a user would aim it at a cluster and at AWS. The
//! guard kills and reaps it on every way out of the bench: return, error, panic or Ctrl-C.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::{BenchError, Result};

/// A running `ecs-operator run`, killed and reaped on drop.
pub struct Operator {
    child: Child,
    http_addr: String,
}

pub struct Target<'a> {
    pub bin: &'a Path,
    pub kubeconfig: &'a Path,
    pub ecs_endpoint: &'a str,
    pub log: &'a Path,
    /// The events queue, when the run has one.
    pub events_queue_url: Option<&'a str>,
}

impl Operator {
    /// Starts the operator with default settings (20 s service poll, 300 s resync), a free
    /// loopback port for its HTTP listener, and dummy AWS credentials.
    pub fn start(target: &Target<'_>) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(BenchError::io("finding a free port for the operator"))?
            .port();
        let http_addr = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(target.log).map_err(BenchError::io("creating the operator log"))?;
        let mut command = Command::new(target.bin);
        if let Some(url) = target.events_queue_url {
            command.env("EVENTS_QUEUE_URL", url);
        }
        let child = command
            .args(["run", "--cluster-id", "bench", "--http-addr", &http_addr])
            .env("KUBECONFIG", target.kubeconfig)
            .env("AWS_ENDPOINT_URL", target.ecs_endpoint)
            .env("AWS_ENDPOINT_URL_ECS", target.ecs_endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(BenchError::io(format!("starting {}", target.bin.display())))?;
        Ok(Self { child, http_addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/readyz` answers 200 (CRDs and AWS checked), failing if the process exits.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Failed(format!("the operator exited during startup ({status})")));
            }
            if matches!(self.get("/readyz").await, Ok((200, _))) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(BenchError::Failed("the operator did not become ready in time".into()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Fails when the operator has exited (a crash mid-run invalidates the numbers).
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(BenchError::Failed(format!("the operator exited ({status})"))),
            Err(e) => Err(BenchError::io("checking the operator process")(e)),
        }
    }

    /// GET on the operator's HTTP listener: (status, body).
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        http_request(&self.http_addr, "GET", path, &[], "").await
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The operator binary: `--operator-bin`, else `ecs-operator` next to this executable (cargo
/// puts every workspace binary of one profile in the same directory).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()
            .map_err(BenchError::io("finding the bench's own path"))?
            .with_file_name("ecs-operator"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(BenchError::Failed(format!(
            "operator binary {} not found: build it with `cargo build --release --bin ecs-operator` or pass \
             --operator-bin",
            path.display()
        )))
    }
}

/// Sum of `name{...} value` samples of one metric in Prometheus text.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// One HTTP/1.1 request with `Connection: close` over a blocking socket on a blocking thread:
/// loopback only, small bodies, and no extra HTTP client in the bench's dependencies.
pub async fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String)> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let addr = addr.to_owned();
    let exchange = move || -> std::io::Result<(u16, String)> {
        let mut stream = std::net::TcpStream::connect(&addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let response = String::from_utf8_lossy(&response);
        let code = response.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Ok((code, body))
    };
    tokio::task::spawn_blocking(exchange)
        .await
        .map_err(|e| BenchError::Failed(format!("HTTP request task: {e}")))?
        .map_err(BenchError::io("HTTP request"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_labelled_samples_of_one_metric() {
        let text = "# HELP x\nx_total{kind=\"A\"} 2\nx_total{kind=\"B\"} 3.5\nx_total_other 9\n";
        assert_eq!(metric_sum(text, "x_total"), 5.5);
    }
}
