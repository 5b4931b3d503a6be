"""The jobs worker (nameko): RPC questions other services ask about positions and applications."""
from __future__ import annotations

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from cc_kit.config import env
from cc_kit.nameko_deps import DatabaseProvider

from .config import JobsSettings
from .domain import rules
from .domain.positions import position_dict
from .models import Application, Position


STATISTICS_INTERVAL = float(env("JOBS_STATISTICS_INTERVAL", "3600"))


class JobsService:
    name = "jobs"

    db = DatabaseProvider("jobs")

    @timer(interval=STATISTICS_INTERVAL)
    def refresh_search_statistics(self):
        """SQLite keeps no planner statistics by itself; search plans are better with them (PostgreSQL's
        autovacuum does this on its own)."""
        if self.db.is_sqlite:
            with self.db.write() as session:
                session.execute(text("ANALYZE positions"))

    @rpc
    def get_position(self, position_id):
        """A position as the public sees it (or None if unknown or not public)."""
        with self.db.read() as session:
            position = session.get(Position, int(position_id))
            if position is None or position.status not in ("published", "closed"):
                return None
            data = position_dict(position, rules.today_in(JobsSettings.from_env().tz))
        return _jsonable(data)

    @rpc
    def get_application(self, application_id):
        """{id, position_id, employer_id, student_id, status, created_at} of an application, or None."""
        with self.db.read() as session:
            application = session.get(Application, int(application_id))
            if application is None:
                return None
            return {"id": application.id, "position_id": application.position_id,
                    "employer_id": application.employer_id, "student_id": application.student_id,
                    "status": application.status, "created_at": application.created_at.isoformat()}


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
