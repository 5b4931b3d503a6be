"""The worker's RPC over real RabbitMQ, and the outbox relay publishing to `resume.events` (both databases)."""
import io
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import eventlet
import pytest
from kombu import Connection, Consumer, Exchange, Queue

from cc_kit.db import Database
from cc_kit.rpc import RpcClient
from services.resume.domain import resumes
from services.resume.service import ResumeService
from tests.resume.samples import full_sections, pdf_file

STUDENT = 31
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(container_factory, amqp_uri, resume_db_url, service_env, monkeypatch):
    monkeypatch.setenv("RESUME_DATABASE_URL", resume_db_url)
    container = container_factory(ResumeService, {"AMQP_URI": amqp_uri, "serializer": "json"})
    container.start()
    return container


@pytest.fixture
def rpc(amqp_uri):
    return RpcClient(amqp_uri, timeout=10)


def test_delivery_snapshot_without_a_default(worker, rpc):
    answer = rpc.call("resume", "get_delivery_snapshot", student_id=STUDENT)
    assert answer["resume_id"] is None and answer["snapshot"] is None
    assert answer["missing"] == ["default_resume"] and answer["deliverable"] is False


def test_delivery_snapshot_freezes_the_default_resume(worker, rpc, db, app, student, client):
    with db.write() as session:
        draft = resumes.create_resume(session, STUDENT, {"kind": "zh", "basic_info": {"name": "张三"}})
    answer = rpc.call("resume", "get_delivery_snapshot", student_id=STUDENT)
    assert answer["resume_id"] == draft["id"] and answer["completeness"] == 5 and answer["deliverable"] is False
    assert "education" in answer["missing"] and answer["missing_items"][0]["label"] == "基本信息"

    headers = student(STUDENT)
    attachment = client.post("/api/v1/resume/resumes", headers=headers,
                             json={"kind": "attachment", "title": "附件版", "basic_info": {"name": "张三"}}).get_json()
    client.post(f"/api/v1/resume/resumes/{attachment['id']}/attachment", headers=headers,
                data={"file": (io.BytesIO(pdf_file()), "张三-简历.pdf")},
                content_type="multipart/form-data")
    client.post(f"/api/v1/resume/resumes/{attachment['id']}/default", headers=headers)
    answer = rpc.call("resume", "get_delivery_snapshot", student_id=STUDENT)
    snapshot = answer["snapshot"]
    assert answer["kind"] == "attachment" and answer["completeness"] == 75 and answer["deliverable"] is True
    assert snapshot["title"] == "附件版" and snapshot["basic_info"]["name"] == "张三"
    assert snapshot["attachment"]["original_name"] == "张三-简历.pdf"
    assert snapshot["attachment"]["key"].startswith("resumes/") and snapshot["attachment"]["size"] > 0
    json.dumps(snapshot)  # plain JSON, storable as is by jobs
    # the delivered file outlives a replacement: the employer can still get what was sent
    storage = app.extensions["resume"].storage
    client.post(f"/api/v1/resume/resumes/{attachment['id']}/attachment", headers=headers,
                data={"file": (io.BytesIO(pdf_file()), "新版.pdf")}, content_type="multipart/form-data")
    assert storage.open(snapshot["attachment"]["key"]) == pdf_file()


def test_full_default_resume_snapshot(worker, rpc, db):
    with db.write() as session:
        created = resumes.create_resume(session, STUDENT, {"kind": "en", **full_sections()})
    answer = rpc.call("resume", "get_delivery_snapshot", student_id=STUDENT)
    assert answer["completeness"] == 100 and answer["missing"] == []
    assert answer["snapshot"]["education"][0]["school"] == "清华大学"
    assert answer["snapshot"]["resume_id"] == created["id"] and answer["snapshot"]["attachment"] is None


def test_default_resume_changed_reaches_a_queue_bound_to_resume_events(amqp_uri, resume_db_url, data_dir):
    """Recorded in the outbox with the switch, published by `python -m cc_kit.relay resume`."""
    database = Database(resume_db_url)
    with database.write() as session:
        first = resumes.create_resume(session, STUDENT, {"kind": "zh"})
        second = resumes.create_resume(session, STUDENT, {"kind": "zh", **full_sections()})
    with database.write() as session:
        resumes.set_default(session, STUDENT, second["id"])

    received = []
    with Connection(amqp_uri) as connection:
        exchange = Exchange("resume.events", type="topic", durable=True)
        queue = Queue(f"test-resume-{uuid.uuid4().hex[:8]}", exchange, routing_key="default_resume_changed",
                      auto_delete=True)
        consumer = Consumer(connection, [queue], accept=["json"],
                            callbacks=[lambda body, message: (received.append(body), message.ack())])
        consumer.consume()  # declares the exchange, the queue and its binding before anything is published
        # the relay as the Procfile runs it
        env = {**os.environ, "RESUME_DATABASE_URL": resume_db_url, "AMQP_URI": amqp_uri, "DATA_DIR": str(data_dir)}
        relay = subprocess.Popen([sys.executable, "-m", "cc_kit.relay", "resume"], cwd=REPO, env=env,
                                 start_new_session=True)
        try:
            with eventlet.Timeout(20):
                while len(received) < 2:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        pass
        finally:
            os.killpg(relay.pid, signal.SIGTERM)
            relay.wait(20)
    envelopes = [json.loads(body) if isinstance(body, (str, bytes)) else body for body in received]
    assert [e["type"] for e in envelopes] == ["cn.campus-careers.resume.default_resume_changed"] * 2
    assert envelopes[0]["data"] == {"student_id": STUDENT, "resume_id": first["id"], "completeness": 0,
                                    "previous_resume_id": None}
    assert envelopes[1]["data"] == {"student_id": STUDENT, "resume_id": second["id"], "completeness": 100,
                                    "previous_resume_id": first["id"]}
    assert envelopes[1]["subject"] == str(STUDENT)
    database.dispose()
