"""Applications: one-click delivery (student), the employer's inbox, status changes, interview invitations."""
from __future__ import annotations

import logging

from flask.views import MethodView
from flask_smorest import Blueprint
from nameko.exceptions import RemoteError

from cc_kit.errors import ApiError
from cc_kit.security import current_principal

from ..domain import applications as domain
from ..domain import interviews
from ..models import Position
from ..schemas import (ApplicationOut, ApplicationQueryIn, ApplicationStatusIn, DeliveredResumeOut, InterviewIn,
                       InterviewOut)
from .common import authed, ctx, page_bounds, today

log = logging.getLogger(__name__)

blp = Blueprint("applications", __name__, url_prefix="/api/v1/jobs",
                description="职位申请与面试邀请 (applications and interview invitations)")


def delivery_snapshot(student_id: int) -> dict:
    """resume.get_delivery_snapshot over nameko RPC (the process-wide client of this app)."""
    try:
        return ctx().rpc.call("resume", "get_delivery_snapshot", student_id=student_id)
    except RemoteError as exc:
        log.error("resume.get_delivery_snapshot failed: %s", exc)
        raise ApiError("简历服务出错，请稍后重试 (resume service failed)", status=502, code="dependency_error") from exc


def _present(session, application, position=None, with_history=False):
    position = position or session.get(Position, application.position_id)
    timeline = domain.history(session, [application.id])[application.id] if with_history else None
    return domain.application_dict(application, position, timeline=timeline)


@blp.route("/positions/<int:position_id>/applications")
class PositionApplications(MethodView):
    @authed(blp, "student")
    @blp.response(201, ApplicationOut)
    def post(self, position_id):
        """一键投递 (apply with the default resume; it must be ≥ 60% complete)

        422 `resume_incomplete` with `missing` when there is no default resume or it is below 60%;
        409 `already_applied` the second time; 409 `position_closed` past the deadline.
        """
        principal = current_principal()
        day = today()
        with ctx().db.read() as session:
            domain.check_can_apply(session, position_id, principal.user_id, day)
        delivery = delivery_snapshot(principal.user_id)
        with ctx().db.write() as session:
            application = domain.submit_application(session, position_id, principal, delivery, day)
            return _present(session, application, with_history=True)


@blp.route("/applications")
class Applications(MethodView):
    @authed(blp, "student", "employer")
    @blp.arguments(ApplicationQueryIn, location="query")
    @blp.response(200, ApplicationOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """我的申请 / 收到的申请 (students: mine; employers: to my positions; filters position_id, status)"""
        principal = current_principal()
        offset, limit = page_bounds(pagination_parameters)
        with ctx().db.read() as session:
            rows, total = domain.list_applications(session, principal, position_id=args.get("position_id"),
                                                   status=args.get("status"), offset=offset, limit=limit)
            timelines = domain.history(session, [a.id for a, _ in rows])
            items = [domain.application_dict(a, p, timeline=timelines[a.id]) for a, p in rows]
        pagination_parameters.item_count = total
        return items


@blp.route("/applications/<int:application_id>")
class ApplicationDetail(MethodView):
    @authed(blp, "student", "employer")
    @blp.response(200, ApplicationOut)
    def get(self, application_id):
        """申请详情与状态记录 (an application with its status history)"""
        principal = current_principal()
        with ctx().db.read() as session:
            if principal.role == "employer":
                application = domain.employer_application(session, application_id, principal)
            else:
                application = domain.student_application(session, application_id, principal)
            return _present(session, application, with_history=True)

    @authed(blp, "employer")
    @blp.arguments(ApplicationStatusIn)
    @blp.response(200, ApplicationOut)
    def patch(self, body, application_id):
        """更新申请状态 (employer: viewed, interview, offer, rejected; invalid moves → 409 invalid_transition)"""
        with ctx().db.write() as session:
            application = domain.set_status(session, application_id, current_principal(), body["status"])
            return _present(session, application, with_history=True)


@blp.route("/applications/<int:application_id>/resume")
class ApplicationResume(MethodView):
    @authed(blp, "employer")
    @blp.response(200, DeliveredResumeOut)
    def get(self, application_id):
        """查看投递的简历 (the resume exactly as delivered; the first reading marks the application viewed)"""
        with ctx().db.write() as session:
            application = domain.read_resume(session, application_id, current_principal())
            return domain.resume_dict(application)


@blp.route("/applications/<int:application_id>/withdraw")
class ApplicationWithdraw(MethodView):
    @authed(blp, "student")
    @blp.response(200, ApplicationOut)
    def post(self, application_id):
        """撤回申请 (withdraw my application before an outcome)"""
        with ctx().db.write() as session:
            application = domain.withdraw(session, application_id, current_principal())
            return _present(session, application, with_history=True)


@blp.route("/applications/<int:application_id>/interviews")
class ApplicationInterviews(MethodView):
    @authed(blp, "employer")
    @blp.arguments(InterviewIn)
    @blp.response(201, InterviewOut)
    def post(self, body, application_id):
        """邀请面试 (invite to an interview after reading the resume; online → room_url; SMS + email)"""
        with ctx().db.write() as session:
            interview = interviews.invite(session, application_id, current_principal(), body, ctx().settings)
            return interviews.interview_dict(interview, session.get(Position, interview.position_id))
