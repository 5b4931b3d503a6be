"""nameko service `auth`: RPC answers for other services and hourly housekeeping (wiring only)."""
from __future__ import annotations

import logging

from nameko.rpc import rpc
from nameko.timer import timer

from cc_kit.nameko_deps import DatabaseProvider

from .domain import maintenance, queries

log = logging.getLogger(__name__)


class AuthService:
    name = "auth"

    db = DatabaseProvider("auth")

    @rpc
    def get_contact(self, user_id):
        """{user_id, role, name, email, phone} or None."""
        with self.db.read() as session:
            return queries.contact(session, user_id)

    @rpc
    def get_student(self, user_id):
        """The student's roster data and contacts, or None (not a student / unknown)."""
        with self.db.read() as session:
            return queries.student(session, user_id)

    @rpc
    def get_student_by_number(self, school_code, student_no):
        """Like get_student, found by (school_code, student_no) — for invitations addressed by 学号."""
        with self.db.read() as session:
            return queries.student_by_number(session, school_code, student_no)

    @rpc
    def get_privacy(self, user_id):
        """{resume_visibility: public|applied_only|hidden, show_contact: bool} (defaults when never set)."""
        with self.db.read() as session:
            return queries.privacy(session, user_id)

    @rpc
    def find_students(self, colleges=None, majors=None, graduation_years=None, school_code=None):
        """Ids of registered students matching all given filters."""
        with self.db.read() as session:
            return queries.find_students(session, colleges=colleges, majors=majors,
                                         graduation_years=graduation_years, school_code=school_code)

    @rpc
    def get_employer(self, employer_id):
        """{id, company_name, credit_code, status, contact_name, email, phone} or None."""
        with self.db.read() as session:
            return queries.employer(session, employer_id)

    @timer(interval=3600)
    def prune_expired(self):
        with self.db.write() as session:
            removed = maintenance.prune_expired(session)
        log.info("pruned expired auth rows", extra=removed)
