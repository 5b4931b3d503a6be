"""Concurrent default switches and creations from real threads, on SQLite and PostgreSQL."""
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from services.resume.domain import resumes
from services.resume.models import Outbox, Resume, ResumeOwner

REPO = Path(__file__).resolve().parents[3]
STUDENT = 7


def race(url: str, mode: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "tests.resume.integration.race_worker", url, mode, str(STUDENT),
                             *args], cwd=REPO, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_concurrent_default_switches_leave_exactly_one_default_and_a_consistent_event_chain(db, resume_db_url):
    with db.write() as session:
        ids = [resumes.create_resume(session, STUDENT, {"kind": "zh"})["id"] for _ in range(4)]
    outcome = race(resume_db_url, "switch", "--ids", ",".join(map(str, ids)), "--threads", "8", "--rounds", "25")
    assert outcome == {"done": 200, "refused": {}, "errors": []}

    with db.read() as session:
        owners = session.execute(select(ResumeOwner.student_id, ResumeOwner.default_resume_id)).all()
        changes = [row.envelope["data"] for row in session.execute(
            select(Outbox).where(Outbox.routing_key == "default_resume_changed").order_by(Outbox.seq)).scalars()]
    assert len(owners) == 1 and owners[0].default_resume_id in ids
    # Every switch saw the default the previous one left: no torn or lost switch, and the last event
    # names the default that is stored.
    for before, after in zip(changes, changes[1:]):
        assert after["previous_resume_id"] == before["resume_id"] != after["resume_id"]
    assert changes[-1]["resume_id"] == owners[0].default_resume_id
    assert len(changes) > 4  # the race really switched back and forth


def test_concurrent_creations_stop_exactly_at_the_cap(db, resume_db_url):
    outcome = race(resume_db_url, "create", "--threads", "14")
    assert outcome["errors"] == []
    assert outcome["done"] == 10 and outcome["refused"] == {"resume_limit_reached": 4}
    with db.read() as session:
        count = session.execute(select(func.count()).select_from(Resume)).scalar_one()
        defaults = session.execute(select(ResumeOwner.default_resume_id)).scalars().all()
        first = session.execute(select(func.min(Resume.id))).scalar_one()
    assert count == 10 and defaults == [first]
