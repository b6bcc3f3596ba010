# syntax=docker/dockerfile:1
# ecs-operator container image. Multi-stage: build the production profile (size-optimised,
# Cargo.toml) without the local-mode simulators, then copy it into distroless (glibc, CA
# certificates, no shell), running as the nonroot user (65532) the chart's securityContext
# expects.
#   docker build -t ghcr.io/ecs-operator/ecs-operator:0.1.0 .
# Not built in this repository's CI (no container runtime on the build machines).

# The toolchain the lockfile is tested with (rust-version in Cargo.toml is the floor).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# BuildKit caches keep the registry and target dir between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile production --no-default-features --locked -p ecs-operator \
 && cp target/production/ecs-operator /ecs-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /ecs-operator /usr/local/bin/ecs-operator
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ecs-operator"]
CMD ["run"]
