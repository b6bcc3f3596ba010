//! A throwaway CA and a server certificate for 127.0.0.1/localhost, made fresh at every start,
//! and the kubeconfig that trusts that CA. kubectl and kube-rs default to HTTPS and verify the
//! server, so kube-sim serves real TLS rather than asking clients to skip verification.

use std::sync::Arc;

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::Error;

/// The server side of TLS plus the CA PEM that clients must trust.
pub struct TlsMaterial {
    pub config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
}

pub fn generate() -> Result<TlsMaterial, Error> {
    let tls = |e: rcgen::Error| Error::Tls(e.to_string());
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
    ca_params.distinguished_name.push(DnType::CommonName, "kube-sim CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(tls)?).map_err(tls)?;

    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).map_err(tls)?;
    server_params.distinguished_name.push(DnType::CommonName, "kube-sim");
    let server_key = KeyPair::generate().map_err(tls)?;
    let server_cert = server_params.signed_by(&server_key, &ca).map_err(tls)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain: Vec<CertificateDer<'static>> = vec![server_cert.der().clone()];
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    // HTTP/1.1 only: watches are chunked responses, which every client handles.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial { config: Arc::new(config), ca_pem: ca.pem() })
}

/// Kubeconfig YAML for a kube-sim at `url`. `ca_pem` is None for plain HTTP.
pub fn kubeconfig(url: &str, ca_pem: Option<&str>) -> String {
    let ca = ca_pem
        .map(|pem| {
            format!("\n    certificate-authority-data: {}", base64::engine::general_purpose::STANDARD.encode(pem))
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kube-sim
  cluster:
    server: {url}{ca}
users:
- name: kube-sim
  user:
    token: kube-sim
contexts:
- name: kube-sim
  context:
    cluster: kube-sim
    user: kube-sim
    namespace: default
current-context: kube-sim
"
    )
}
