"""What every jobs view shares: the request's database, settings, RPC client, today, and auth docs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from cc_kit.db import Database
from cc_kit.rpc import RpcClient
from cc_kit.security import require

from ..config import JobsSettings
from ..domain import rules


@dataclass
class JobsContext:
    db: Database
    settings: JobsSettings
    rpc: RpcClient


def ctx() -> JobsContext:
    return current_app.extensions["jobs"]


def today() -> date:
    return rules.today_in(ctx().settings.tz)


def authed(blp, *roles: str):
    """require(*roles) (checked before any argument parsing) and the bearer scheme in the OpenAPI doc."""

    def decorator(view):
        return blp.doc(security=[{"bearerAuth": []}])(require(*roles)(view))

    return decorator


def page_bounds(pagination_parameters) -> tuple[int, int]:
    return pagination_parameters.first_item, pagination_parameters.page_size
