"""The apis' RPC client reaches a real nameko service over RabbitMQ and maps an absent one to 503."""
import pytest
from nameko.rpc import rpc

from cc_kit.errors import ApiError
from cc_kit.rpc import RpcClient


class EchoService:
    name = "echo"

    @rpc
    def shout(self, text):
        return {"text": text.upper(), "len": len(text)}


def test_call_round_trip_with_chinese(container_factory, rabbit_config, amqp_uri):
    container = container_factory(EchoService, rabbit_config)
    container.start()
    client = RpcClient(amqp_uri, timeout=5)
    assert client.call("echo", "shout", text="abc简历") == {"text": "ABC简历", "len": 5}
    assert client.call("echo", "shout", text="x")["len"] == 1  # the same proxy serves a second call


def test_absent_service_times_out_as_503(amqp_uri):
    client = RpcClient(amqp_uri, timeout=1)
    with pytest.raises(ApiError) as err:
        client.call("nobody_home", "anything")
    assert err.value.status == 503
