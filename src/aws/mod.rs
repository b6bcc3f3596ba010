//! Everything that speaks to AWS: conversions between our CRD types and aws-sdk-ecs types.
//! The narrow client trait, error classification, batching and rate limiting join here as
//! the controllers arrive.

pub mod convert;
