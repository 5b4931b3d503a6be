"""Which routes are public and which roles a route needs, per service (the route tables of API.md).

The gateway's rules are a first fence only: every service verifies the token again and decides on
its own data. A route not listed here needs a valid token of any role.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cc_kit.security import ROLES, STAFF_ROLES

ANY_USER: tuple[str, ...] = ()  # a valid token, whatever the role
PUBLIC = None  # no token needed

STUDENT = ("student",)
EMPLOYER = ("employer",)
SCHOOL_ADMIN = ("school_admin",)
STAFF = STAFF_ROLES
COUNSELOR = ("counselor",)

# (methods, path under /api/v1/<service>, roles): first match wins. Path syntax: {name} = one
# segment, /** = anything below (including nothing).
_COMMON_PUBLIC = [
    ("GET", "/openapi.json", PUBLIC),
    ("GET", "/asyncapi.json", PUBLIC),
    ("GET", "/docs/**", PUBLIC),
]

RULES: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {
    "auth": [
        ("GET", "/captcha", PUBLIC),
        ("GET", "/jwks.json", PUBLIC),
        ("POST", "/login", PUBLIC),
        ("POST", "/register/verify", PUBLIC),
        ("POST", "/register/complete", PUBLIC),
        ("POST", "/token/refresh", PUBLIC),  # the refresh token in the body is the credential
        ("POST", "/logout", PUBLIC),
        ("POST", "/password/forgot", PUBLIC),
        ("POST", "/password/forgot/send-code", PUBLIC),
        ("POST", "/password/reset", PUBLIC),
        ("POST", "/employers/register", PUBLIC),
        ("*", "/admin/**", SCHOOL_ADMIN),
        ("GET,PUT", "/me/privacy", STUDENT),
    ],
    "resume": [
        ("*", "/**", STUDENT),
    ],
    "jobs": [
        ("GET", "/positions", PUBLIC),
        ("GET", "/positions/{id}", PUBLIC),
        ("GET", "/events", PUBLIC),
        ("GET", "/events/{id}", PUBLIC),
        ("POST", "/positions", EMPLOYER),
        ("PATCH", "/positions/{id}", EMPLOYER),
        ("POST", "/positions/{id}/applications", STUDENT),
        ("*", "/admin/**", SCHOOL_ADMIN),
        ("*", "/favorites/**", STUDENT),
        ("GET", "/applications", STUDENT + EMPLOYER),
        ("GET", "/applications/{id}/resume", EMPLOYER),
        ("PATCH", "/applications/{id}", EMPLOYER),
        ("POST", "/applications/{id}/interviews", EMPLOYER),
        ("GET", "/interviews/**", STUDENT + EMPLOYER),  # both parties read an invitation and its .ics
        ("POST", "/interviews/{id}/accept", STUDENT),
        ("POST", "/interviews/{id}/decline", STUDENT),
        ("POST", "/events", SCHOOL_ADMIN + EMPLOYER),
        ("POST,DELETE", "/events/{id}/registrations/**", STUDENT),
        ("*", "/registrations/**", STUDENT),
        ("POST", "/checkins", SCHOOL_ADMIN),
        ("*", "/push/**", STUDENT),
        ("POST", "/push-campaigns", SCHOOL_ADMIN),
    ],
    "signing": [
        ("GET", "/destination-categories/**", PUBLIC),
        ("*", "/source-info/**", STUDENT),
        ("*", "/reviews/**", STAFF),
        ("*", "/recommendation-form/**", STUDENT),
        ("*", "/phone-verification/**", STUDENT),
        ("POST", "/invitations", EMPLOYER),
        ("*", "/invitations/**", STUDENT),
        ("GET", "/agreements/**", STUDENT + EMPLOYER + STAFF),
        ("*", "/agreements/**", STUDENT),
        ("*", "/destinations/**", STUDENT),
        ("POST", "/terminations/{id}/employer-decision", EMPLOYER),
        ("POST", "/terminations", STUDENT),
        ("*", "/termination-templates/**", STUDENT),
    ],
    "counseling": [
        ("GET", "/counselors/**", PUBLIC),
        ("GET", "/slots/**", PUBLIC),
        ("GET", "/assessments", PUBLIC),
        ("GET", "/assessments/{code}", PUBLIC),
        ("GET", "/faq/**", PUBLIC),
        ("POST", "/slots", COUNSELOR),
        ("GET", "/appointments/**", STUDENT + COUNSELOR),
        ("POST", "/appointments/{id}/cancel", STUDENT + COUNSELOR),
        ("POST", "/appointments", STUDENT),
        ("POST", "/assessments/{code}/attempts", STUDENT),
        ("*", "/attempts/**", STUDENT),
        ("POST", "/questions/{id}/answer", COUNSELOR + STAFF),
        ("POST", "/questions", STUDENT),
    ],
    "notify": [],
}


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str] | None  # None = every method
    pattern: re.Pattern
    roles: tuple[str, ...] | None  # None = public, () = any signed-in user

    @property
    def public(self) -> bool:
        return self.roles is None


AUTHENTICATED = Rule(None, re.compile(""), ANY_USER)


def compile_path(path: str) -> re.Pattern:
    """`/positions/{id}` → one segment; a trailing `/**` → that path and everything below it."""
    subtree = path.endswith("/**")
    if subtree:
        path = path[:-3]
    regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
    regex += "(?:/.*)?" if subtree else "/?"
    return re.compile(regex + r"\Z")


def _compile(entries) -> tuple[Rule, ...]:
    rules = []
    for methods, path, roles in entries:
        method_set = None if methods == "*" else frozenset(m.strip().upper() for m in methods.split(","))
        if method_set and "GET" in method_set:
            method_set |= {"HEAD"}
        if roles:
            unknown = set(roles) - set(ROLES)
            if unknown:
                raise ValueError(f"unknown roles in gateway rules: {unknown}")
        rules.append(Rule(method_set, compile_path(path), roles))
    return tuple(rules)


_COMPILED = {service: _compile(_COMMON_PUBLIC + entries) for service, entries in RULES.items()}
_COMMON_COMPILED = _compile(_COMMON_PUBLIC)


@lru_cache(maxsize=4096)
def _static_rule(service: str, method: str, subpath: str) -> Rule:
    for rule in _COMPILED.get(service, _COMMON_COMPILED):
        if (rule.methods is None or method in rule.methods) and rule.pattern.match(subpath):
            return rule
    return AUTHENTICATED


def rule_for(service: str, method: str, subpath: str) -> Rule:
    """The access rule for `method /api/v1/<service><subpath>` (subpath starts with `/` or is empty)."""
    if method == "OPTIONS":
        # CORS pre-flights carry no credentials; the upstream answers them.
        return Rule(None, AUTHENTICATED.pattern, PUBLIC)
    if len(subpath) > 200:  # keep the cache for real routes; long paths are rare and still matched
        return _static_rule.__wrapped__(service, method, subpath)
    return _static_rule(service, method, subpath)
