"""Positions: search, detail, publishing and editing by employers, the school's review."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from cc_kit.security import current_principal

from ..domain import positions as domain
from ..domain.search import SearchQuery, search
from ..schemas import PositionIn, PositionOut, PositionPatchIn, PositionSearchIn, PositionStatusQueryIn, ReviewIn
from .common import authed, ctx, page_bounds, today

blp = Blueprint("positions", __name__, url_prefix="/api/v1/jobs",
                description="职位：搜索、详情、发布与编辑、学校审核 (positions)")


def _flags_for(session, principal, ids):
    if principal is not None and principal.role == "student":
        return domain.student_flags(session, principal.user_id, ids)
    return {}


def _staff_view(principal, position) -> bool:
    if principal is None:
        return False
    if principal.role in domain.ADMIN_ROLES:
        return True
    return principal.role == "employer" and principal.employer_id is not None \
        and int(principal.employer_id) == position.employer_id


@blp.route("/positions")
class Positions(MethodView):
    @blp.arguments(PositionSearchIn, location="query")
    @blp.response(200, PositionOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """搜索职位 (search public positions: keywords, filters, relevance or newest)

        `q`: keywords separated by spaces, Chinese or English; every keyword must match the title or
        the description. Filters are exact (city, degree, job_type, industry); `salary_min`/`salary_max`
        match positions whose salary range overlaps the given one. Only published positions whose
        deadline has not passed are found. Total count in `X-Pagination`; a search covers the 1,000
        newest matches (JOBS_SEARCH_MAX_RESULTS) and says `X-Total-Capped: true` when there are more.
        """
        principal = current_principal(optional=True)
        offset, limit = page_bounds(pagination_parameters)
        query = SearchQuery(**args)
        day = today()
        with ctx().db.read() as session:
            result = search(session, query, today=day, offset=offset, limit=limit,
                            max_results=ctx().settings.search_max_results)
            ids = [pid for pid, _ in result.hits]
            scores = dict(result.hits)
            found = domain.positions_by_ids(session, ids)
            flags = _flags_for(session, principal, ids)
            items = [domain.position_dict(p, day, flags=flags.get(p.id), score=scores.get(p.id)) for p in found]
        pagination_parameters.item_count = result.total
        return items, {"X-Total-Capped": "true" if result.capped else "false"}

    @authed(blp, "employer")
    @blp.arguments(PositionIn)
    @blp.response(201, PositionOut)
    def post(self, data):
        """发布职位 (publish a position; pending_review when the school reviews postings)"""
        principal = current_principal()
        with ctx().db.write() as session:
            position = domain.create_position(session, principal, data, ctx().settings)
            return domain.position_dict(position, today(), staff_view=True)


@blp.route("/positions/<int:position_id>")
class PositionDetail(MethodView):
    @blp.response(200, PositionOut)
    def get(self, position_id):
        """职位详情 (detail; `favorited` and `applied` for the student asking)"""
        principal = current_principal(optional=True)
        with ctx().db.read() as session:
            position = domain.visible_position(session, position_id, principal)
            flags = _flags_for(session, principal, [position.id]).get(position.id)
            return domain.position_dict(position, today(), flags=flags, staff_view=_staff_view(principal, position))

    @authed(blp, "employer")
    @blp.arguments(PositionPatchIn(partial=True))
    @blp.response(200, PositionOut)
    def patch(self, changes, position_id):
        """编辑本单位职位 (edit an own position; back to review when the school reviews postings)"""
        principal = current_principal()
        with ctx().db.write() as session:
            position = domain.update_position(session, position_id, principal, changes, ctx().settings)
            return domain.position_dict(position, today(), staff_view=True)


@blp.route("/positions/<int:position_id>/close")
class PositionClose(MethodView):
    @authed(blp, "employer")
    @blp.response(200, PositionOut)
    def post(self, position_id):
        """关闭本单位职位 (close an own position: no more applications)"""
        with ctx().db.write() as session:
            position = domain.close_own_position(session, position_id, current_principal())
            return domain.position_dict(position, today(), staff_view=True)


@blp.route("/employer/positions")
class EmployerPositions(MethodView):
    @authed(blp, "employer")
    @blp.arguments(PositionStatusQueryIn, location="query")
    @blp.response(200, PositionOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """本单位的职位（全部状态） (my company's positions, any status)"""
        principal = current_principal()
        offset, limit = page_bounds(pagination_parameters)
        with ctx().db.read() as session:
            rows, total = domain.employer_positions(session, domain.employer_id_of(principal), args.get("status"),
                                                    offset, limit)
            items = [domain.position_dict(p, today(), staff_view=True) for p in rows]
        pagination_parameters.item_count = total
        return items


@blp.route("/admin/positions")
class AdminPositions(MethodView):
    @authed(blp, "school_admin")
    @blp.arguments(PositionStatusQueryIn, location="query")
    @blp.response(200, PositionOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """审核队列与全部职位 (positions for review; filter status=pending_review)"""
        offset, limit = page_bounds(pagination_parameters)
        with ctx().db.read() as session:
            rows, total = domain.positions_for_review(session, args.get("status"), offset, limit)
            items = [domain.position_dict(p, today(), staff_view=True) for p in rows]
        pagination_parameters.item_count = total
        return items


def _review_view(action: str, summary: str):
    @authed(blp, "school_admin")
    @blp.arguments(ReviewIn, required=False)
    @blp.response(200, PositionOut)
    def post(self, body, position_id):
        with ctx().db.write() as session:
            position = domain.review_position(session, position_id, action, current_principal(),
                                              (body or {}).get("note"))
            return domain.position_dict(position, today(), staff_view=True)

    post.__doc__ = summary
    return type(f"AdminPosition{action.title()}", (MethodView,), {"post": post})


blp.route("/admin/positions/<int:position_id>/approve")(
    _review_view("approve", "通过职位审核 (approve a pending position: it becomes public)"))
blp.route("/admin/positions/<int:position_id>/reject")(
    _review_view("reject", "驳回或下架职位 (reject a pending position or take a public one down)"))
blp.route("/admin/positions/<int:position_id>/close")(
    _review_view("close", "关闭职位 (close a position)"))
