"""Root fixtures. The shared ones live in cc_kit.testing.plugin (loaded from pyproject.toml); the two below
override nameko's pytest-plugin fixtures of the same names so every test uses our private vhost."""
import pytest


@pytest.fixture(scope="session")
def rabbit_vhost(cc_rabbit_vhost):
    return cc_rabbit_vhost


@pytest.fixture(scope="session")
def amqp_uri(cc_rabbit_vhost):
    """AMQP URI of this test session's private vhost on the machine's RabbitMQ."""
    return cc_rabbit_vhost[1]


@pytest.fixture
def rabbit_config(amqp_uri):
    """nameko config for container_factory/runner_factory: our vhost, JSON serializer."""
    return {"AMQP_URI": amqp_uri, "serializer": "json"}
