"""Favorites (职位收藏): add, remove, list — and apply from the list (each item says whether applied)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from cc_kit.security import current_principal

from ..domain import favorites as domain
from ..domain.positions import position_dict, student_flags
from ..schemas import FavoriteOut
from .common import authed, ctx, page_bounds, today

blp = Blueprint("favorites", __name__, url_prefix="/api/v1/jobs", description="职位收藏 (favorites)")


@blp.route("/favorites")
class Favorites(MethodView):
    @authed(blp, "student")
    @blp.response(200, FavoriteOut(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, pagination_parameters):
        """我的收藏 (my favorite positions, newest first, with `applied` for applying from the list)"""
        principal = current_principal()
        offset, limit = page_bounds(pagination_parameters)
        with ctx().db.read() as session:
            rows, total = domain.list_favorites(session, principal.user_id, offset, limit)
            flags = student_flags(session, principal.user_id, [p.id for _, p in rows])
            day = today()
            items = [{"position_id": f.position_id, "created_at": f.created_at,
                      "position": position_dict(p, day, flags=flags.get(p.id))} for f, p in rows]
        pagination_parameters.item_count = total
        return items


@blp.route("/favorites/<int:position_id>")
class Favorite(MethodView):
    @authed(blp, "student")
    @blp.response(200, FavoriteOut)
    def put(self, position_id):
        """收藏职位（幂等） (add to favorites; idempotent)"""
        principal = current_principal()
        with ctx().db.write() as session:
            favorite, _created = domain.add_favorite(session, principal.user_id, position_id, principal)
            return {"position_id": favorite.position_id, "created_at": favorite.created_at}

    @authed(blp, "student")
    @blp.response(204)
    def delete(self, position_id):
        """取消收藏（幂等） (remove from favorites; idempotent)"""
        with ctx().db.write() as session:
            domain.remove_favorite(session, current_principal().user_id, position_id)
