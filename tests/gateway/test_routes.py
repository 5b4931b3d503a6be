"""The rule table: which route is public, which needs a role (unit tests, no server)."""
from __future__ import annotations

from gateway.routes import rule_for


def roles(service, method, subpath):
    return rule_for(service, method, subpath).roles


def test_public_routes_are_listed_exactly():
    assert roles("auth", "POST", "/login") is None
    assert roles("auth", "GET", "/login") == ()  # only the listed method is public
    assert roles("auth", "GET", "/captcha") is None
    assert roles("auth", "HEAD", "/captcha") is None
    assert roles("jobs", "GET", "/positions") is None
    assert roles("jobs", "GET", "/positions/12") is None
    assert roles("jobs", "GET", "/positions/12/applications") == ()
    assert roles("counseling", "GET", "/assessments/mbti") is None
    assert roles("counseling", "POST", "/assessments/mbti/attempts") == ("student",)
    assert roles("signing", "GET", "/destination-categories") is None
    assert roles("notify", "GET", "/openapi.json") is None


def test_prefix_rules_do_not_leak_to_lookalike_paths():
    assert roles("auth", "GET", "/admin") == ("school_admin",)
    assert roles("auth", "GET", "/admin/users/1") == ("school_admin",)
    assert roles("auth", "GET", "/administrators") == ()  # not under /admin/
    assert roles("auth", "POST", "/loginx") == ()
    assert roles("jobs", "GET", "/positions/1/../../admin") == ()


def test_role_rules_from_the_api_tables():
    assert roles("resume", "GET", "/resumes") == ("student",)
    assert roles("jobs", "POST", "/positions") == ("employer",)
    assert set(roles("jobs", "POST", "/events")) == {"school_admin", "employer"}
    assert roles("jobs", "POST", "/admin/positions/3/approve") == ("school_admin",)
    assert set(roles("signing", "GET", "/agreements/4/pdf")) == {"student", "employer", "college_admin",
                                                                 "school_admin"}
    assert roles("signing", "PUT", "/agreements/4") == ("student",)
    assert roles("signing", "POST", "/terminations/4/employer-decision") == ("employer",)
    assert set(roles("signing", "POST", "/reviews/4/decision")) == {"college_admin", "school_admin"}
    assert roles("counseling", "POST", "/slots") == ("counselor",)
    assert roles("notify", "GET", "/notifications") == ()
    assert roles("unlisted", "GET", "/anything") == ()  # a later service: signed-in users only


def test_interview_rules_let_both_parties_read_but_only_students_answer():
    from gateway.routes import rule_for

    assert set(rule_for("jobs", "GET", "/interviews/7.ics").roles) == {"student", "employer"}
    assert rule_for("jobs", "POST", "/interviews/7/accept").roles == ("student",)
    assert rule_for("jobs", "POST", "/interviews/7/decline").roles == ("student",)
