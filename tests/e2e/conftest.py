"""End-to-end fixtures: the whole suite started from the Procfile, as `make run` does."""
import os

import pytest

from cc_kit.testing.infra import create_vhost, delete_vhost
from cc_kit.testing.suite import Suite


@pytest.fixture(scope="session")
def suite_vhost():
    """The suite gets a vhost of its own: its workers live for the whole session and would otherwise
    answer the RPC calls and drain the queues of the integration tests' own nameko services."""
    name, uri = create_vhost()
    yield uri
    delete_vhost(name)


@pytest.fixture(scope="session")
def suite(tmp_path_factory, suite_vhost):
    processes = os.environ.get("E2E_PROCESSES")
    running = Suite(tmp_path_factory.mktemp("suite"), suite_vhost,
                    processes=processes.split(",") if processes else None).start()
    yield running
    running.stop()


@pytest.fixture
def gw(suite):
    """The gateway's base URL."""
    return suite.url
