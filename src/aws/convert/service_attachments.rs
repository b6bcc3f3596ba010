//! What a service attaches to its tasks beyond the task definition: Service Connect, EBS
//! volumes configured at launch and VPC Lattice target groups. ECS describes all three on the
//! service's deployments, not on the service: the PRIMARY deployment's are the service's.

use aws_sdk_ecs::types;

use super::task_definition::{log_configuration_from_sdk, log_configuration_to_sdk};
use super::{
    ConvertError, SdkEnum, built, child, enum_from_sdk, opt_enum_from_sdk, opt_enum_to_sdk, try_list, try_list_at,
};
use crate::crd::common::Tags;
use crate::crd::service::{
    EbsTagSpecification, EbsVolumeType, ManagedEbsVolume, PropagateTags, ServiceConnectAccessLogConfiguration,
    ServiceConnectCertificateAuthority, ServiceConnectClientAlias, ServiceConnectConfiguration,
    ServiceConnectHeaderMatch, ServiceConnectService, ServiceConnectTestTrafficHeader, ServiceConnectTestTrafficRules,
    ServiceConnectTimeout, ServiceConnectTls, ServiceVolumeConfiguration, VpcLatticeConfiguration,
};

// ---- spec → SDK ------------------------------------------------------------------------------

pub(crate) fn service_connect_to_sdk(
    c: &ServiceConnectConfiguration,
) -> Result<types::ServiceConnectConfiguration, ConvertError> {
    Ok(types::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone())
        .set_services(try_list(c.services.as_deref(), service_connect_service_to_sdk)?)
        .set_log_configuration(c.log_configuration.as_ref().map(log_configuration_to_sdk).transpose()?)
        .set_access_log_configuration(
            c.access_log_configuration
                .as_ref()
                .map(|a| {
                    built(
                        "ServiceConnectAccessLogConfiguration",
                        types::ServiceConnectAccessLogConfiguration::builder()
                            .format(a.format.to_sdk())
                            .set_include_query_parameters(opt_enum_to_sdk(a.include_query_parameters))
                            .build(),
                    )
                })
                .transpose()?,
        )
        .build())
}

fn service_connect_service_to_sdk(s: &ServiceConnectService) -> Result<types::ServiceConnectService, ConvertError> {
    let aliases = try_list(s.client_aliases.as_deref(), |a| {
        let rules = a
            .test_traffic_rules
            .as_ref()
            .map(|r| {
                let value = r
                    .header
                    .value
                    .as_ref()
                    .map(|v| {
                        built(
                            "ServiceConnectTestTrafficHeaderMatchRules",
                            types::ServiceConnectTestTrafficHeaderMatchRules::builder().exact(&v.exact).build(),
                        )
                    })
                    .transpose()?;
                let header = built(
                    "ServiceConnectTestTrafficHeaderRules",
                    types::ServiceConnectTestTrafficHeaderRules::builder()
                        .name(&r.header.name)
                        .set_value(value)
                        .build(),
                )?;
                Ok::<_, ConvertError>(types::ServiceConnectTestTrafficRules::builder().header(header).build())
            })
            .transpose()?;
        built(
            "ServiceConnectClientAlias",
            types::ServiceConnectClientAlias::builder()
                .port(a.port)
                .set_dns_name(a.dns_name.clone())
                .set_test_traffic_rules(rules)
                .build(),
        )
    })?;
    built(
        "ServiceConnectService",
        types::ServiceConnectService::builder()
            .port_name(&s.port_name)
            .set_discovery_name(s.discovery_name.clone())
            .set_client_aliases(aliases)
            .set_ingress_port_override(s.ingress_port_override)
            .set_timeout(s.timeout.as_ref().map(|t| {
                types::TimeoutConfiguration::builder()
                    .set_idle_timeout_seconds(t.idle_timeout_seconds)
                    .set_per_request_timeout_seconds(t.per_request_timeout_seconds)
                    .build()
            }))
            .set_tls(s.tls.as_ref().map(|t| {
                types::ServiceConnectTlsConfiguration::builder()
                    .issuer_certificate_authority(
                        types::ServiceConnectTlsCertificateAuthority::builder()
                            .aws_pca_authority_arn(&t.issuer_certificate_authority.aws_pca_authority_arn)
                            .build(),
                    )
                    .set_kms_key(t.kms_key.clone())
                    .set_role_arn(t.role_arn.clone())
                    .build()
            }))
            .build(),
    )
}

pub(crate) fn volume_configurations_to_sdk(
    volumes: Option<&[ServiceVolumeConfiguration]>,
) -> Result<Option<Vec<types::ServiceVolumeConfiguration>>, ConvertError> {
    try_list(volumes, |v| {
        let ebs = &v.managed_ebs_volume;
        let tag_specifications = try_list(ebs.tag_specifications.as_deref(), |t| {
            built(
                "EBSTagSpecification",
                types::EbsTagSpecification::builder()
                    .resource_type(types::EbsResourceType::Volume)
                    .set_tags(super::tags_to_sdk(t.tags.as_ref(), &Tags::new()))
                    .set_propagate_tags(opt_enum_to_sdk(t.propagate_tags))
                    .build(),
            )
        })?;
        let managed = built(
            "ServiceManagedEBSVolumeConfiguration",
            types::ServiceManagedEbsVolumeConfiguration::builder()
                .role_arn(&ebs.role_arn)
                .set_volume_type(ebs.volume_type.map(|t| volume_type_name(t).to_owned()))
                .set_size_in_gib(ebs.size_in_gib)
                .set_snapshot_id(ebs.snapshot_id.clone())
                .set_volume_initialization_rate(ebs.volume_initialization_rate)
                .set_iops(ebs.iops)
                .set_throughput(ebs.throughput)
                .set_encrypted(ebs.encrypted)
                .set_kms_key_id(ebs.kms_key_id.clone())
                .set_filesystem_type(opt_enum_to_sdk(ebs.filesystem_type))
                .set_tag_specifications(tag_specifications)
                .build(),
        )?;
        built(
            "ServiceVolumeConfiguration",
            types::ServiceVolumeConfiguration::builder().name(&v.name).managed_ebs_volume(managed).build(),
        )
    })
}

pub(crate) fn lattice_to_sdk(
    configurations: Option<&[VpcLatticeConfiguration]>,
) -> Result<Option<Vec<types::VpcLatticeConfiguration>>, ConvertError> {
    try_list(configurations, |l| {
        built(
            "VpcLatticeConfiguration",
            types::VpcLatticeConfiguration::builder()
                .role_arn(&l.role_arn)
                .target_group_arn(&l.target_group_arn)
                .port_name(&l.port_name)
                .build(),
        )
    })
}

/// The SDK models `volumeType` as a plain string.
fn volume_type_name(t: EbsVolumeType) -> &'static str {
    match t {
        EbsVolumeType::Gp2 => "gp2",
        EbsVolumeType::Gp3 => "gp3",
        EbsVolumeType::Io1 => "io1",
        EbsVolumeType::Io2 => "io2",
        EbsVolumeType::St1 => "st1",
        EbsVolumeType::Sc1 => "sc1",
        EbsVolumeType::Standard => "standard",
    }
}

fn volume_type_from_name(field: &str, name: &str) -> Result<EbsVolumeType, ConvertError> {
    use EbsVolumeType::*;
    [Gp2, Gp3, Io1, Io2, St1, Sc1, Standard]
        .into_iter()
        .find(|t| volume_type_name(*t) == name)
        .ok_or_else(|| ConvertError::UnsupportedValue { field: field.to_owned(), value: name.to_owned() })
}

// ---- SDK → spec ------------------------------------------------------------------------------

/// The service's attachments as its PRIMARY deployment carries them (the first deployment
/// when ECS reports none as PRIMARY).
pub(crate) fn primary_deployment(service: &types::Service) -> Option<&types::Deployment> {
    let deployments = service.deployments.as_deref().unwrap_or_default();
    deployments.iter().find(|d| d.status.as_deref() == Some("PRIMARY")).or(deployments.first())
}

pub(crate) fn service_connect_from_sdk(
    c: &types::ServiceConnectConfiguration,
) -> Result<ServiceConnectConfiguration, ConvertError> {
    let at = "spec.serviceConnectConfiguration";
    Ok(ServiceConnectConfiguration {
        enabled: c.enabled,
        namespace: c.namespace.clone(),
        services: try_list_at(c.services.as_deref(), &child(at, "services"), |s, at| {
            Ok(ServiceConnectService {
                port_name: s.port_name.clone(),
                discovery_name: s.discovery_name.clone(),
                client_aliases: super::list(s.client_aliases.as_deref(), |a| ServiceConnectClientAlias {
                    port: a.port,
                    dns_name: a.dns_name.clone(),
                    test_traffic_rules: a.test_traffic_rules.as_ref().and_then(|r| r.header.as_ref()).map(|h| {
                        ServiceConnectTestTrafficRules {
                            header: ServiceConnectTestTrafficHeader {
                                name: h.name.clone(),
                                value: h.value.as_ref().map(|v| ServiceConnectHeaderMatch { exact: v.exact.clone() }),
                            },
                        }
                    }),
                }),
                ingress_port_override: s.ingress_port_override,
                timeout: s.timeout.as_ref().map(|t| ServiceConnectTimeout {
                    idle_timeout_seconds: t.idle_timeout_seconds,
                    per_request_timeout_seconds: t.per_request_timeout_seconds,
                }),
                tls: s
                    .tls
                    .as_ref()
                    .map(|t| {
                        let ca = t.issuer_certificate_authority.as_ref();
                        Ok::<_, ConvertError>(ServiceConnectTls {
                            issuer_certificate_authority: ServiceConnectCertificateAuthority {
                                aws_pca_authority_arn: super::required(
                                    &child(at, "tls.issuerCertificateAuthority.awsPcaAuthorityArn"),
                                    ca.and_then(|c| c.aws_pca_authority_arn.as_ref()),
                                )?,
                            },
                            kms_key: t.kms_key.clone(),
                            role_arn: t.role_arn.clone(),
                        })
                    })
                    .transpose()?,
            })
        })?,
        log_configuration: c
            .log_configuration
            .as_ref()
            .map(|l| log_configuration_from_sdk(l, &child(at, "logConfiguration")))
            .transpose()?,
        access_log_configuration: c
            .access_log_configuration
            .as_ref()
            .map(|a| {
                Ok::<_, ConvertError>(ServiceConnectAccessLogConfiguration {
                    format: enum_from_sdk(&child(at, "accessLogConfiguration.format"), &a.format)?,
                    include_query_parameters: opt_enum_from_sdk(
                        &child(at, "accessLogConfiguration.includeQueryParameters"),
                        a.include_query_parameters.as_ref(),
                    )?,
                })
            })
            .transpose()?,
    })
}

pub(crate) fn volume_configurations_from_sdk(
    volumes: Option<&[types::ServiceVolumeConfiguration]>,
) -> Result<Option<Vec<ServiceVolumeConfiguration>>, ConvertError> {
    try_list_at(volumes, "spec.volumeConfigurations", |v, at| {
        let at = child(at, "managedEBSVolume");
        let ebs = super::required(&at, v.managed_ebs_volume.as_ref())?;
        Ok(ServiceVolumeConfiguration {
            name: v.name.clone(),
            managed_ebs_volume: ManagedEbsVolume {
                role_arn: ebs.role_arn.clone(),
                volume_type: ebs
                    .volume_type
                    .as_deref()
                    .map(|t| volume_type_from_name(&child(&at, "volumeType"), t))
                    .transpose()?,
                size_in_gib: ebs.size_in_gib,
                snapshot_id: ebs.snapshot_id.clone(),
                volume_initialization_rate: ebs.volume_initialization_rate,
                iops: ebs.iops,
                throughput: ebs.throughput,
                encrypted: ebs.encrypted,
                kms_key_id: ebs.kms_key_id.clone(),
                filesystem_type: opt_enum_from_sdk(&child(&at, "filesystemType"), ebs.filesystem_type.as_ref())?,
                tag_specifications: try_list_at(
                    ebs.tag_specifications.as_deref(),
                    &child(&at, "tagSpecifications"),
                    |t, at| {
                        Ok(EbsTagSpecification {
                            tags: t.tags.as_deref().map(super::tag_map).filter(|m| !m.is_empty()),
                            propagate_tags: opt_enum_from_sdk::<PropagateTags, _>(
                                &child(at, "propagateTags"),
                                t.propagate_tags.as_ref(),
                            )?,
                        })
                    },
                )?,
            },
        })
    })
}

pub(crate) fn lattice_from_sdk(
    configurations: Option<&[types::VpcLatticeConfiguration]>,
) -> Option<Vec<VpcLatticeConfiguration>> {
    super::list(configurations, |l| VpcLatticeConfiguration {
        role_arn: l.role_arn.clone(),
        target_group_arn: l.target_group_arn.clone(),
        port_name: l.port_name.clone(),
    })
}
