"""nameko service `resume`: the RPC other services call (wiring only; the rules live in domain)."""
from __future__ import annotations

from nameko.rpc import rpc

from cc_kit.nameko_deps import DatabaseProvider

from .domain import resumes


class ResumeService:
    name = "resume"

    db = DatabaseProvider("resume")

    @rpc
    def get_delivery_snapshot(self, student_id):
        """The student's default resume as an application freezes it:
        {resume_id (None without a default), kind, title, completeness, missing, missing_items, message,
        deliverable, threshold, snapshot (JSON copy of the content incl. attachment key) or None}."""
        with self.db.write() as session:
            return resumes.delivery_snapshot(session, int(student_id))
