"""End-to-end fixtures: the whole suite started from the Procfile, as `make run` does."""
import os

import pytest

from cc_kit.testing.suite import Suite


@pytest.fixture(scope="session")
def suite(tmp_path_factory, amqp_uri):
    processes = os.environ.get("E2E_PROCESSES")
    running = Suite(tmp_path_factory.mktemp("suite"), amqp_uri,
                    processes=processes.split(",") if processes else None).start()
    yield running
    running.stop()


@pytest.fixture
def gw(suite):
    """The gateway's base URL."""
    return suite.url
