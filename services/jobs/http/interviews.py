"""Interviews (我的面试): list, detail, accept / decline, and the invitation as an iCalendar file."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from cc_kit.security import current_principal

from ..domain import interviews as domain
from ..domain.calendar import interview_ics
from ..models import Position
from ..schemas import InterviewAnswerIn, InterviewOut, InterviewQueryIn
from .common import authed, ctx, page_bounds

blp = Blueprint("interviews", __name__, url_prefix="/api/v1/jobs", description="面试 (interviews)")


@blp.route("/interviews")
class Interviews(MethodView):
    @authed(blp, "student", "employer")
    @blp.arguments(InterviewQueryIn, location="query")
    @blp.response(200, InterviewOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """我的面试 (students: invitations to me; employers: those we sent; soonest first)"""
        offset, limit = page_bounds(pagination_parameters)
        with ctx().db.read() as session:
            rows, total = domain.list_interviews(session, current_principal(), status=args.get("status"),
                                                 upcoming=args["upcoming"], offset=offset, limit=limit)
            items = [domain.interview_dict(i, p) for i, p in rows]
        pagination_parameters.item_count = total
        return items


@blp.route("/interviews/<int:interview_id>")
class InterviewDetail(MethodView):
    @authed(blp, "student", "employer")
    @blp.response(200, InterviewOut)
    def get(self, interview_id):
        """面试详情 (an interview; the student invited or the inviting employer)"""
        with ctx().db.read() as session:
            interview = domain.visible_interview(session, interview_id, current_principal())
            return domain.interview_dict(interview, session.get(Position, interview.position_id))


def _answer_view(accept: bool, summary: str):
    @authed(blp, "student")
    @blp.arguments(InterviewAnswerIn, required=False)
    @blp.response(200, InterviewOut)
    def post(self, body, interview_id):
        with ctx().db.write() as session:
            interview = domain.answer(session, interview_id, current_principal(), accept, (body or {}).get("note"))
            return domain.interview_dict(interview, session.get(Position, interview.position_id))

    post.__doc__ = summary
    return type("InterviewAccept" if accept else "InterviewDecline", (MethodView,), {"post": post})


blp.route("/interviews/<int:interview_id>/accept")(_answer_view(True, "接受面试邀请 (accept an invitation)"))
blp.route("/interviews/<int:interview_id>/decline")(_answer_view(False, "拒绝面试邀请 (decline an invitation)"))


@blp.route("/interviews/<int:interview_id>.ics")
class InterviewCalendar(MethodView):
    @authed(blp, "student", "employer")
    @blp.response(200, content_type="text/calendar", description="iCalendar (RFC 5545)")
    def get(self, interview_id):
        """面试日历文件 (the interview as an .ics file for any calendar app)"""
        with ctx().db.read() as session:
            interview = domain.visible_interview(session, interview_id, current_principal())
            body = interview_ics(interview, session.get(Position, interview.position_id))
        return Response(body, mimetype="text/calendar", headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="interview-{interview_id}.ics"'})
