//! STS over the query protocol with the real aws-sdk-sts client.

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};

use crate::harness::env;

fn sts_client(endpoint: &str, creds: Credentials) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

#[tokio::test]
async fn caller_identity_and_assume_role() {
    let env = env();
    let base = sts_client(env.sim.endpoint(), Credentials::new("AKIDTEST", "secret", None, None, "test"));
    let me = base.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("123456789012"));

    let assumed = base
        .assume_role()
        .role_arn("arn:aws:iam::210987654321:role/deployer")
        .role_session_name("ecs-operator")
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(
        assumed.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::210987654321:assumed-role/deployer/ecs-operator"
    );

    let as_role = sts_client(
        env.sim.endpoint(),
        Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "assumed",
        ),
    );
    let who = as_role.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("210987654321"));
    assert_eq!(who.arn(), Some("arn:aws:sts::210987654321:assumed-role/deployer/ecs-operator"));

    let err = base.assume_role().role_arn("not-an-arn").role_session_name("x1").send().await.unwrap_err();
    assert_eq!(aws_sdk_sts::error::ProvideErrorMetadata::code(&err), Some("ValidationError"));
}
