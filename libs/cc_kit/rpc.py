"""nameko RPC from plain (non-eventlet) processes such as the gunicorn apis.

One long-lived ClusterRpcProxy per thread, created lazily after fork: a proxy per request
costs ~12 ms and leaves a reply queue behind (DESIGN.md).
"""
from __future__ import annotations

import os
import threading

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from .errors import ApiError


class RpcUnavailable(ApiError):
    status, code = 503, "dependency_unavailable"


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 10.0):
        self.config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self.timeout = timeout
        self._local = threading.local()

    def _proxy(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.context = ClusterRpcProxy(self.config, timeout=self.timeout)
            local.proxy = local.context.start()
            local.pid = os.getpid()
        return local.proxy

    def _reset(self):
        context = getattr(self._local, "context", None)
        self._local.pid = None
        if context is not None:
            try:
                context.stop()
            except Exception:
                pass

    def call(self, service: str, method: str, **kwargs):
        """Call `service.method(**kwargs)`; RemoteError passes through for the caller to map by exc_type."""
        try:
            return getattr(getattr(self._proxy(), service), method)(**kwargs)
        except RemoteError:
            raise
        except UnknownService as exc:  # no worker of that service has ever declared its queue
            raise RpcUnavailable(f"服务 {service} 暂不可用 ({service} not running)") from exc
        except RpcTimeout as exc:
            self._reset()
            raise RpcUnavailable(f"服务 {service} 暂时无响应 ({service} timed out)") from exc
        except (OSError, ConnectionError) as exc:
            self._reset()
            raise RpcUnavailable(f"服务 {service} 暂不可用 ({service} unreachable)") from exc
        except Exception as exc:
            # kombu raises its own connection errors; any of them means the call did not happen
            if type(exc).__module__.split(".")[0] in ("kombu", "amqp"):
                self._reset()
                raise RpcUnavailable(f"服务 {service} 暂不可用 ({service} unreachable)") from exc
            raise
