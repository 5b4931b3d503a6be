"""docker-compose.yml and deploy/k8s run every process role of the Procfile, the way the Procfile does."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from cc_kit.testing.suite import procfile_names

REPO = Path(__file__).resolve().parents[2]
K8S_BASE = REPO / "deploy" / "k8s" / "base"


def procfile() -> dict[str, list[str]]:
    roles = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            roles[name.strip()] = shlex.split(command.strip())
    return roles


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def k8s_documents() -> list[dict]:
    docs = []
    for path in sorted(K8S_BASE.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def deployments() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == "Deployment"}


def test_procfile_is_what_the_suite_runs():
    assert set(procfile()) == set(procfile_names())
    assert "gateway" in procfile()


def test_every_procfile_role_is_a_compose_service_with_the_same_command():
    services = compose()["services"]
    for role, command in procfile().items():
        assert role in services, f"{role} missing from docker-compose.yml"
        assert services[role]["command"] == command, role


def test_every_procfile_role_is_a_k8s_deployment_with_the_same_command():
    found = deployments()
    for role, command in procfile().items():
        assert role in found, f"{role} missing from deploy/k8s/base"
        containers = found[role]["spec"]["template"]["spec"]["containers"]
        assert containers[0]["command"] == command, role


def test_compose_gives_each_service_its_own_database_and_waits_for_infrastructure():
    services = compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["rabbitmq"]["image"] == "rabbitmq:3-management"
    assert services["redis"]["image"].startswith("redis:7")
    for infra in ("postgres", "rabbitmq", "redis"):
        assert "healthcheck" in services[infra], infra
    for role in procfile():
        spec = services[role]
        assert "healthcheck" in spec, role
        assert spec["image"] == services["gateway"]["image"], "one image for every role"
        env = spec["environment"]
        assert "CAPTCHA_BYPASS_CODE" not in env
        if role == "gateway":
            continue
        service = role.rsplit("-", 1)[0]
        url = env[f"{service.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql") and url.endswith(f"@postgres:5432/{service}"), (role, url)
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert spec["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    gateway = services["gateway"]
    for role in procfile():
        if role.endswith("-api"):
            service = role[: -len("-api")]
            assert gateway["depends_on"][role]["condition"] == "service_healthy"
            assert gateway["environment"][f"{service.upper()}_URL"].startswith(f"http://{role}:")
    assert gateway["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_postgres_init_creates_every_database():
    sql = (REPO / "deploy" / "postgres" / "init-databases.sql").read_text()
    assert sql == (REPO / "deploy" / "k8s" / "overlays" / "dev" / "init-databases.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+);", sql))
    services = {role.rsplit("-", 1)[0] for role in procfile() if role != "gateway"}
    assert services <= created


def test_kustomization_lists_every_base_file():
    kustomization = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())
    files = {p.name for p in K8S_BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    overlay = yaml.safe_load((REPO / "deploy" / "k8s" / "overlays" / "dev" / "kustomization.yaml").read_text())
    for resource in overlay["resources"]:
        assert (REPO / "deploy" / "k8s" / "overlays" / "dev" / resource).exists(), resource


@pytest.mark.parametrize("name", sorted(deployments()))
def test_deployment_is_probed_limited_and_non_root(name):
    deployment = deployments()[name]
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= \
        deployment["spec"]["template"]["metadata"]["labels"].items()
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    service_accounts = {d["metadata"]["name"] for d in k8s_documents() if d["kind"] == "ServiceAccount"}
    assert pod["serviceAccountName"] in service_accounts
    container = pod["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert any(ref.get("configMapRef", {}).get("name") == "campus-careers-config" for ref in container["envFrom"])
    assert "readinessProbe" in container and "livenessProbe" in container
    if name == "gateway" or name.endswith("-api"):
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        services = {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == "Service"}
        assert name in services, f"{name} has no Service"
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http" and "http" in ports
    env_names = {e["name"] for e in container.get("env", [])}
    assert "CAPTCHA_BYPASS_CODE" not in env_names
    if name != "gateway":
        service = name.rsplit("-", 1)[0]
        assert f"{service.upper()}_DATABASE_URL" in env_names


def test_image_is_slim_and_runs_unprivileged():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored
