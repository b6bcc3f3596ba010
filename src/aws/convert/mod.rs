//! Conversions between the CRD spec types and aws-sdk-ecs request/response types.
