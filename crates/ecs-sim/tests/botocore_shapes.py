#!/usr/bin/env python3
"""Checks ecs-sim's answers against botocore's ECS model.

usage: botocore_shapes.py ENDPOINT     (an ecs-sim, e.g. http://127.0.0.1:4566)

Makes real boto3 calls (so botocore validates every request against the model on the client
side) through a BLUE_GREEN service with lifecycle hooks and alarms: CreateService,
DescribeServices, UpdateService, DescribeServiceDeployments, ListServiceDeployments,
ContinueServiceDeployment and StopServiceDeployment; capacity providers; standalone tasks:
RunTask, DescribeTasks, ListTasks and StopTask; and an Express service:
Create/Describe/Update/DeleteExpressGatewayService and DescribeServiceRevisions. Each raw JSON
answer is walked against the operation's output shape: every member known to the model, required
members present, enum values within the model's enum, JSON types right (timestamps are epoch-second numbers
in the JSON protocol), no nulls. Moves simulated time with the admin API. Exits 0 when
everything matches, 1 with the list of problems otherwise.

Run by crates/ecs-sim/tests/sdk/botocore_shapes.rs with the Python of the moto venv
(.tools/venv, which `bash tests/run.sh` installs; moto[server] brings boto3).
"""

import json
import sys
import urllib.request

import boto3
from botocore.config import Config

# Values AWS documents that botocore's enum does not list yet. ServiceDeployment.lifecycleStage's
# documentation lists PRE_PRODUCTION_TRAFFIC_SHIFT ("Occurs before production traffic shift.
# For linear and canary deployments, this stage is invoked before every traffic shift step."),
# but the ServiceDeploymentLifecycleStage enum does not.
KNOWN_ENUM_GAPS = {("ServiceDeploymentLifecycleStage", "PRE_PRODUCTION_TRAFFIC_SHIFT")}

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:shapes-hook"
ROLE = "arn:aws:iam::123456789012:role/ecs-hooks"

problems = []
raw_bodies = {}
checked = {}


def admin(endpoint, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(endpoint + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def walk(shape, value, path):
    """Appends to `problems` every way `value` (raw JSON) does not fit `shape`."""
    if value is None:
        problems.append(f"{path}: JSON null")
        return
    if getattr(shape, "is_document_type", False):
        return
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object for {shape.name}, got {type(value).__name__}")
            return
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}: required member {name} of {shape.name} missing")
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                walk(member, item, f"{path}.{key}")
    elif t == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            walk(shape.member, item, f"{path}[{i}]")
    elif t == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, item in value.items():
            walk(shape.key, k, f"{path}<key>")
            walk(shape.value, item, f"{path}.{k}")
    elif t == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {type(value).__name__}")
        elif shape.enum and value not in shape.enum and (shape.name, value) not in KNOWN_ENUM_GAPS:
            problems.append(f"{path}: {value!r} is not in {shape.name} {shape.enum}")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer, got {value!r}")
        else:
            lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                problems.append(f"{path}: {value} outside {lo}..{hi}")
    elif t in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected a number, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")
    elif t == "timestamp":
        # The JSON protocol's default timestamp format is epoch seconds, a JSON number.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected epoch seconds, got {value!r}")
    elif t == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64 text, got {value!r}")
    else:
        problems.append(f"{path}: unhandled shape type {t}")


class Abort(Exception):
    """A call failed outright; the problems so far are reported."""


def call(client, op, **params):
    """Calls `op` (its Python name) and walks the raw answer against the output shape."""
    name = client.meta.method_to_api_mapping[op]
    try:
        result = getattr(client, op)(**params)
    except Exception as e:  # an error answer, or an answer botocore cannot even parse
        body = raw_bodies.pop(name, None)
        if body is not None:
            try:
                walk(client.meta.service_model.operation_model(name).output_shape, json.loads(body), name)
            except ValueError:
                problems.append(f"{name}: answer is not JSON: {body[:200]!r}")
        problems.append(f"{name}: {type(e).__name__}: {e}")
        raise Abort() from e
    body = raw_bodies.pop(name)
    shape = client.meta.service_model.operation_model(name).output_shape
    walk(shape, json.loads(body), name)
    checked[name] = checked.get(name, 0) + 1
    return result


def expect(what, actual, wanted):
    if actual != wanted:
        problems.append(f"{what}: expected {wanted!r}, got {actual!r}")


def main(endpoint):
    client = boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )

    def capture(operation_model, response_dict, **_):
        raw_bodies[operation_model.name] = response_dict["body"]

    client.meta.events.register("before-parse.ecs.*", capture)
    advance = lambda seconds: admin(endpoint, "POST", "/_sim/clock/advance", {"seconds": seconds})

    call(client, "create_cluster", clusterName="shapes")
    tds = []
    for image in ("nginx:1", "nginx:2"):
        out = call(
            client,
            "register_task_definition",
            family="shapes",
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": image, "portMappings": [{"containerPort": 80}]}],
        )
        tds.append(out["taskDefinition"]["taskDefinitionArn"])
    hooks = [
        {
            "targetType": "PAUSE",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "CONTINUE"},
        },
        {
            "hookTargetArn": LAMBDA,
            "roleArn": ROLE,
            "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
            "hookDetails": {"suite": "smoke"},
        },
    ]
    config = {
        "strategy": "BLUE_GREEN",
        "bakeTimeInMinutes": 5,
        "lifecycleHooks": hooks,
        "alarms": {"alarmNames": ["shapes-5xx"], "enable": True, "rollback": True},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    }
    network = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
    call(
        client,
        "create_service",
        cluster="shapes",
        serviceName="web",
        taskDefinition=tds[0],
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=network,
        deploymentConfiguration=config,
    )
    advance(60)
    svc = call(client, "describe_services", cluster="shapes", services=["web"])["services"][0]
    first = svc["currentServiceDeployment"]
    expect("echoed hooks", svc["deploymentConfiguration"]["lifecycleHooks"], hooks)
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[first])["serviceDeployments"][0]
    expect("first deployment status", d["status"], "SUCCESSFUL")

    call(client, "update_service", cluster="shapes", service="web", taskDefinition=tds[1])
    advance(60)
    arn = call(client, "describe_services", cluster="shapes", services=["web"])["services"][0]["currentServiceDeployment"]
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]
    expect("paused status", (d["status"], d.get("lifecycleStage")), ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"))
    pause = [h for h in d["lifecycleHookDetails"] if h["targetType"] == "PAUSE"]
    expect("pause hook status", [h["status"] for h in pause], ["AWAITING_ACTION"])
    out = call(
        client,
        "describe_service_deployments",
        serviceDeploymentArns=[arn, arn.rsplit("/", 1)[0] + "/missing"],
    )
    expect("failures", [f["reason"] for f in out["failures"]], ["MISSING"])
    call(client, "list_service_deployments", cluster="shapes", service="web")
    call(client, "list_service_deployments", cluster="shapes", service="web", status=["SUCCESSFUL"], maxResults=1)

    # The Lambda hook at PRE_PRODUCTION_TRAFFIC_SHIFT keeps answering IN_PROGRESS.
    admin(endpoint, "POST", "/_sim/lambda-hooks", {"hookTargetArn": LAMBDA, "outcome": "IN_PROGRESS"})
    call(client, "continue_service_deployment", serviceDeploymentArn=arn, hookId=pause[0]["hookId"])
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]
    expect("stage after continue", d.get("lifecycleStage"), "PRE_PRODUCTION_TRAFFIC_SHIFT")
    expect(
        "hook statuses",
        [(h["targetType"], h["status"]) for h in d["lifecycleHookDetails"]],
        [("PAUSE", "SUCCEEDED"), ("AWS_LAMBDA", "IN_PROGRESS")],
    )

    call(client, "stop_service_deployment", serviceDeploymentArn=arn, stopType="ROLLBACK")
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]
    expect("after stop", d["status"], "ROLLBACK_REQUESTED")
    advance(2)
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]
    expect("rolling back", d["status"], "ROLLBACK_IN_PROGRESS")
    expect("rollback target", d["rollback"]["serviceRevisionArn"], d["sourceServiceRevisions"][0]["arn"])
    advance(60)
    d = call(client, "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]
    expect("rolled back", d["status"], "ROLLBACK_SUCCESSFUL")
    call(client, "describe_services", cluster="shapes", services=["web"], include=["TAGS"])
    call(client, "list_service_deployments", cluster="shapes", service="web")

    deployment_configs_and_managed_instances(client, advance)
    standalone_tasks(client, advance, endpoint)
    express(client, advance)

    for op in (
        "CreateService",
        "DescribeServices",
        "UpdateService",
        "DescribeServiceDeployments",
        "ListServiceDeployments",
        "ContinueServiceDeployment",
        "StopServiceDeployment",
        "CreateCapacityProvider",
        "DescribeCapacityProviders",
        "UpdateCapacityProvider",
        "DeleteCapacityProvider",
        "RunTask",
        "DescribeTasks",
        "ListTasks",
        "StopTask",
        "CreateExpressGatewayService",
        "DescribeExpressGatewayService",
        "UpdateExpressGatewayService",
        "DeleteExpressGatewayService",
        "DescribeServiceRevisions",
    ):
        if not checked.get(op):
            problems.append(f"{op}: never checked")
    return report()


def deployment_configs_and_managed_instances(client, advance):
    """serviceConnectConfiguration, volumeConfigurations and vpcLatticeConfigurations on a
    service's deployments (botocore validates the requests), and a Managed Instances capacity
    provider with a service running on it."""
    role = "arn:aws:iam::123456789012:role/ecsInfrastructureRole"
    tg = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0"
    ns = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop"
    call(client, "create_cluster", clusterName="shapes-mi")
    container = {"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 80, "name": "http"}]}
    td = call(
        client,
        "register_task_definition",
        family="shapes-configs",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[container],
        volumes=[{"name": "data", "configuredAtLaunch": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    sc = {
        "enabled": True,
        "namespace": ns,
        "services": [
            {
                "portName": "http",
                "discoveryName": "web",
                "clientAliases": [{"port": 8080, "dnsName": "web", "testTrafficRules": {"header": {"name": "x-canary", "value": {"exact": "1"}}}}],
                "timeout": {"idleTimeoutSeconds": 60, "perRequestTimeoutSeconds": 15},
                "tls": {"issuerCertificateAuthority": {"awsPcaAuthorityArn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"}},
            }
        ],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "sc"}},
        "accessLogConfiguration": {"format": "JSON", "includeQueryParameters": "ENABLED"},
    }
    volumes = [
        {
            "name": "data",
            "managedEBSVolume": {
                "roleArn": role,
                "sizeInGiB": 20,
                "volumeType": "gp3",
                "iops": 3000,
                "throughput": 125,
                "encrypted": True,
                "filesystemType": "xfs",
                "tagSpecifications": [{"resourceType": "volume", "tags": [{"key": "team", "value": "web"}], "propagateTags": "SERVICE"}],
            },
        }
    ]
    lattice = [{"roleArn": role, "targetGroupArn": tg, "portName": "http"}]
    network = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
    call(
        client,
        "create_service",
        cluster="shapes-mi",
        serviceName="configs",
        taskDefinition=td,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
        serviceConnectConfiguration=sc,
        volumeConfigurations=volumes,
        vpcLatticeConfigurations=lattice,
    )
    advance(60)
    d = call(client, "describe_services", cluster="shapes-mi", services=["configs"])["services"][0]["deployments"][0]
    expect("deployment serviceConnectConfiguration", d.get("serviceConnectConfiguration"), sc)
    expect("deployment volumeConfigurations", d.get("volumeConfigurations"), volumes)
    expect("deployment vpcLatticeConfigurations", d.get("vpcLatticeConfigurations"), lattice)
    call(client, "update_service", cluster="shapes-mi", service="configs", serviceConnectConfiguration={"enabled": False}, vpcLatticeConfigurations=[])
    deps = call(client, "describe_services", cluster="shapes-mi", services=["configs"])["services"][0]["deployments"]
    expect("deployments after the update", len(deps), 2)

    mi = {
        "infrastructureRoleArn": role,
        "instanceLaunchTemplate": {
            "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole",
            "networkConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]},
            "storageConfiguration": {"storageSizeGiB": 50},
            "instanceRequirements": {"vCpuCount": {"min": 1, "max": 8}, "memoryMiB": {"min": 2048}, "cpuManufacturers": ["intel"]},
        },
        "propagateTags": "CAPACITY_PROVIDER",
        "infrastructureOptimization": {"scaleInAfter": 300},
    }
    out = call(client, "create_capacity_provider", name="shapes-mi", cluster="shapes-mi", managedInstancesProvider=mi)
    expect("provider type", out["capacityProvider"].get("type"), "MANAGED_INSTANCES")
    call(client, "describe_capacity_providers", cluster="shapes-mi", include=["TAGS"])
    call(client, "describe_capacity_providers")
    mi_td = call(
        client,
        "register_task_definition",
        family="shapes-mi",
        requiresCompatibilities=["MANAGED_INSTANCES"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[container],
    )["taskDefinition"]["taskDefinitionArn"]
    call(
        client,
        "create_service",
        cluster="shapes-mi",
        serviceName="on-mi",
        taskDefinition=mi_td,
        desiredCount=1,
        capacityProviderStrategy=[{"capacityProvider": "shapes-mi", "weight": 1}],
        networkConfiguration=network,
    )
    advance(60)
    call(client, "describe_services", cluster="shapes-mi", services=["on-mi"])
    call(
        client,
        "update_capacity_provider",
        name="shapes-mi",
        cluster="shapes-mi",
        managedInstancesProvider={"infrastructureRoleArn": role, "instanceLaunchTemplate": {"monitoring": "DETAILED"}},
    )
    out = call(client, "delete_capacity_provider", capacityProvider="shapes-mi", cluster="shapes-mi")
    expect("delete while a service uses it", out["capacityProvider"].get("updateStatus"), "DELETE_FAILED")


def standalone_tasks(client, advance, endpoint):
    """RunTask with overrides, tags and a client token; a scripted failure read back after the
    task stopped; StopTask; DescribeTasks with TAGS and ListTasks filters."""
    call(client, "create_cluster", clusterName="shapes-run")
    td = call(
        client,
        "register_task_definition",
        family="shapes-migrate",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "migrate", "image": "shapes-migrate:1"},
            {"name": "logs", "image": "shapes-logs:1", "essential": False},
        ],
        tags=[{"key": "team", "value": "db"}],
    )["taskDefinition"]["taskDefinitionArn"]
    admin(endpoint, "POST", "/_sim/task-outcomes", {"image": "shapes-migrate:1", "outcomes": [{"exitCode": 3, "runSeconds": 2, "reason": "migration failed"}]})
    network = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
    overrides = {
        "containerOverrides": [{"name": "migrate", "command": ["migrate", "up"], "environment": [{"name": "DRY_RUN", "value": "0"}], "memory": 256}],
        "cpu": "256",
        "memory": "512",
        "taskRoleArn": "arn:aws:iam::123456789012:role/migrate",
    }
    run = dict(
        cluster="shapes-run",
        taskDefinition=td,
        launchType="FARGATE",
        networkConfiguration=network,
        overrides=overrides,
        startedBy="shapes-job",
        tags=[{"key": "job", "value": "1"}],
        propagateTags="TASK_DEFINITION",
        enableExecuteCommand=True,
        clientToken="shapes-job-1",
    )
    arn = call(client, "run_task", **run)["tasks"][0]["taskArn"]
    again = call(client, "run_task", **run)["tasks"][0]["taskArn"]
    expect("same client token, same task", again, arn)
    advance(35)
    t = call(client, "describe_tasks", cluster="shapes-run", tasks=[arn, arn.rsplit("/", 1)[0] + "/0" * 32], include=["TAGS"])
    task = t["tasks"][0]
    expect("scripted exit", [c.get("exitCode") for c in task["containers"]], [3, None])
    expect("stop code", task.get("stopCode"), "EssentialContainerExited")
    call(client, "list_tasks", cluster="shapes-run", startedBy="shapes-job", desiredStatus="STOPPED")
    call(client, "list_tasks", cluster="shapes-run", family="shapes-migrate")
    arn = call(client, "run_task", cluster="shapes-run", taskDefinition=td, launchType="FARGATE", networkConfiguration=network)["tasks"][0]["taskArn"]
    call(client, "stop_task", cluster="shapes-run", task=arn, reason="shapes")
    advance(20)
    task = call(client, "describe_tasks", cluster="shapes-run", tasks=[arn])["tasks"][0]
    expect("stopped by user", (task["lastStatus"], task.get("stopCode")), ("STOPPED", "UserInitiated"))
def express(client, advance):
    """An Express service through create (defaults), update (every member), delete; the service
    revisions of it (with ecsManagedResources) and of an ordinary service (Service Connect, volumes
    and VPC Lattice configurations)."""
    account = "arn:aws:iam::123456789012"
    out = call(
        client,
        "create_express_gateway_service",
        executionRoleArn=f"{account}:role/ecsTaskExecutionRole",
        infrastructureRoleArn=f"{account}:role/ecsInfrastructureRoleForExpressServices",
        serviceName="shapes-express",
        primaryContainer={"image": "nginx:1"},
        tags=[{"key": "team", "value": "web"}],
    )
    arn = out["service"]["serviceArn"]
    svc = call(client, "describe_express_gateway_service", serviceArn=arn, include=["TAGS"])["service"]
    expect("express tags", svc["tags"], [{"key": "team", "value": "web"}])
    first = svc["activeConfigurations"][0]["serviceRevisionArn"]
    out = call(client, "describe_service_revisions", serviceRevisionArns=[first, first.rsplit("/", 1)[0] + "/1"])
    expect("revision failures", [f["reason"] for f in out["failures"]], ["MISSING"])
    advance(60)
    container = {
        "image": "nginx:2",
        "containerPort": 8080,
        "awsLogsConfiguration": {"logGroup": "shapes", "logStreamPrefix": "web"},
        "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds"},
        "command": ["serve", "--port", "8080"],
        "environment": [{"name": "MODE", "value": "shapes"}],
        "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}],
    }
    scaling = {"minTaskCount": 2, "maxTaskCount": 4, "autoScalingMetric": "REQUEST_COUNT_PER_TARGET", "autoScalingTargetValue": 500}
    out = call(
        client,
        "update_express_gateway_service",
        serviceArn=arn,
        executionRoleArn=f"{account}:role/ecsTaskExecutionRole2",
        taskRoleArn=f"{account}:role/app",
        healthCheckPath="/health",
        primaryContainer=container,
        networkConfiguration={"subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"]},
        cpu="512",
        memory="1024",
        scalingTarget=scaling,
    )
    expect("updated container", out["service"]["targetConfiguration"]["primaryContainer"], container)
    svc = call(client, "describe_express_gateway_service", serviceArn=arn)["service"]
    revisions = [c["serviceRevisionArn"] for c in svc["activeConfigurations"]]
    expect("active configurations during the rollout", len(revisions), 2)
    call(client, "describe_service_revisions", serviceRevisionArns=revisions)
    advance(60)
    call(client, "delete_express_gateway_service", serviceArn=arn)
    advance(6)
    out = call(client, "describe_service_revisions", serviceRevisionArns=revisions[:1])
    expect("deleted load balancer", out["serviceRevisions"][0]["ecsManagedResources"]["ingressPaths"][0]["loadBalancer"]["status"], "DELETED")
    advance(30)
    svc = call(client, "describe_express_gateway_service", serviceArn=arn)["service"]
    expect("deleted express service", svc["status"]["statusCode"], "INACTIVE")

    current = call(client, "describe_services", cluster="shapes-mi", services=["configs"])["services"][0]
    sd = call(client, "describe_service_deployments", serviceDeploymentArns=[current["currentServiceDeployment"]])
    sd = sd["serviceDeployments"][0]
    arns = [sd["targetServiceRevision"]["arn"]] + [r["arn"] for r in sd["sourceServiceRevisions"]]
    out = call(client, "describe_service_revisions", serviceRevisionArns=arns)
    expect("ordinary revisions", [("ecsManagedResources" in r) for r in out["serviceRevisions"]], [False, False])


def report():
    print(f"checked answers: {json.dumps(checked, sort_keys=True)}")
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print("every answer fits botocore's ECS model")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        code = main(sys.argv[1].rstrip("/"))
    except Abort:
        code = report() or 1
    sys.exit(code)
