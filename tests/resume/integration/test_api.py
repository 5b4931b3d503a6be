"""The resume api on SQLite and PostgreSQL: every route, its errors, ownership, files, PDFs, events."""
import io

from pypdf import PdfReader
from sqlalchemy import select

from services.resume.domain.sections import MAX_RESUMES_PER_STUDENT
from services.resume.models import Outbox, Resume
from tests.resume.samples import doc_file, docx_file, exe_file, full_sections, pdf_file, zip_file

API = "/api/v1/resume"
ALICE, BOB = 101, 202


def create(client, headers, kind="zh", **body):
    response = client.post(f"{API}/resumes", json={"kind": kind, **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(client, headers, resume_id, content, name="简历.pdf"):
    return client.post(f"{API}/resumes/{resume_id}/attachment", headers=headers,
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def events_of(db, name=None):
    with db.read() as session:
        rows = session.execute(select(Outbox.routing_key, Outbox.envelope).order_by(Outbox.seq)).all()
    return [envelope for key, envelope in rows if name is None or key == name]


def test_create_read_list(client, student, db):
    headers = student(ALICE)
    empty = create(client, headers, title="我的第一份简历")
    assert empty["kind"] == "zh" and empty["title"] == "我的第一份简历"
    assert empty["is_default"] is True  # the first resume becomes the default
    assert empty["completeness"] < 60 and "education" in empty["missing"]
    assert empty["basic_info"]["name"] is None and empty["education"] == []

    full = create(client, headers, kind="en", **full_sections())
    assert full["title"] == "My English Resume" and full["is_default"] is False
    assert full["completeness"] >= 90 and full["missing"] == []
    assert full["education"][0]["school"] == "清华大学"

    listing = client.get(f"{API}/resumes", headers=headers)
    assert listing.status_code == 200
    assert [r["id"] for r in listing.get_json()] == [empty["id"], full["id"]]
    assert "education" not in listing.get_json()[0]  # summaries
    assert '"total": 2' in listing.headers["X-Pagination"]

    again = client.get(f"{API}/resumes/{full['id']}", headers=headers).get_json()
    assert again["basic_info"]["name"] == "张三" and again["completeness_detail"]["deliverable"] is True
    assert [e["type"].rsplit(".", 1)[1] for e in events_of(db)] == [
        "default_resume_changed", "resume_created", "resume_created"]


def test_unknown_kind_and_invalid_sections_are_422(client, student):
    headers = student(ALICE)
    response = client.post(f"{API}/resumes", json={"kind": "video"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["code"] == "validation_error"
    assert "kind" in response.get_json()["errors"]
    response = client.post(f"{API}/resumes", headers=headers, json={
        "kind": "zh", "education": [{"school": "北大", "major": "法学", "degree": "本科", "start": "2024-09",
                                     "end": "2023-06"}],
        "job_intention": {"salary_min": 30000, "salary_max": 10000}})
    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert "end" in errors["education"]["0"] and "salary_max" in errors["job_intention"]
    assert client.post(f"{API}/resumes", data="{oops", content_type="application/json",
                       headers=headers).status_code == 400
    assert client.get(f"{API}/resumes", headers=headers).get_json() == []


def test_put_replaces_patch_merges_kind_is_fixed(client, student, db):
    headers = student(ALICE)
    resume = create(client, headers, **full_sections())
    url = f"{API}/resumes/{resume['id']}"
    patched = client.patch(url, json={"skills": ["Go"], "awards": None}, headers=headers).get_json()
    assert patched["skills"] == ["Go"] and patched["awards"] == []
    assert patched["education"][0]["school"] == "清华大学" and patched["completeness"] == 95
    replaced = client.put(url, json={"title": "新标题", "basic_info": {"name": "张三"}}, headers=headers).get_json()
    assert replaced["title"] == "新标题" and replaced["education"] == [] and replaced["completeness"] == 5
    changed = client.put(url, json={"kind": "en"}, headers=headers)
    assert changed.status_code == 422 and changed.get_json()["code"] == "kind_immutable"
    updates = events_of(db, "resume_updated")
    assert [e["data"]["completeness"] for e in updates] == [95, 5]
    # a request that changes nothing publishes nothing
    client.patch(url, json={"basic_info": {"name": "张三"}}, headers=headers)
    assert len(events_of(db, "resume_updated")) == 2


def test_completeness_endpoint_explains_in_chinese(client, student):
    headers = student(ALICE)
    resume = create(client, headers, basic_info={"name": "张三", "phone": "13800138000"})
    body = client.get(f"{API}/resumes/{resume['id']}/completeness", headers=headers).get_json()
    assert body["score"] == 9 and body["deliverable"] is False and body["threshold"] == 60
    assert body["missing"][:2] == ["basic_info", "education"]
    basic = body["missing_items"][0]
    assert basic["label"] == "基本信息" and set(basic["fields"]) == {"email", "city", "gender", "birth_date"}
    assert "还需完善" in body["message"] and "教育经历" in body["message"]


def test_nobody_else_learns_a_resume_exists(client, student, test_keys, tmp_path):
    mine = create(client, student(ALICE), kind="attachment")
    assert upload(client, student(ALICE), mine["id"], pdf_file()).status_code == 201
    other = student(BOB)
    create(client, other)  # Bob has resumes of his own
    base = f"{API}/resumes/{mine['id']}"
    missing = f"{API}/resumes/999999"
    absurd = f"{API}/resumes/99999999999999999999999"
    for url in (base, missing, absurd):
        for method, path, kwargs in (
            ("get", "", {}), ("put", "", {"json": {"title": "x"}}), ("patch", "", {"json": {"title": "x"}}),
            ("delete", "", {}), ("get", "/completeness", {}), ("post", "/default", {}), ("get", "/pdf", {}),
            ("get", "/attachment", {}),
        ):
            response = getattr(client, method)(url + path, headers=other, **kwargs)
            assert response.status_code == 404, (method, url + path)
            assert response.get_json()["code"] == "resume_not_found"
    stolen = upload(client, other, mine["id"], pdf_file())
    assert stolen.status_code == 404
    # still Alice's, untouched, and Alice is still the only one who sees it
    assert client.get(base, headers=student(ALICE)).get_json()["title"] == mine["title"]
    assert client.get(base, headers=test_keys.headers(ALICE, "employer", employer_id=5)).status_code == 403
    assert client.get(base).status_code == 401


def test_default_switch_and_deleting_the_default(client, student, db):
    headers = student(ALICE)
    first = create(client, headers)
    second = create(client, headers, **full_sections())
    switched = client.post(f"{API}/resumes/{second['id']}/default", headers=headers)
    assert switched.status_code == 200 and switched.get_json()["is_default"] is True
    assert client.post(f"{API}/resumes/{second['id']}/default", headers=headers).status_code == 200  # idempotent
    listing = client.get(f"{API}/resumes", headers=headers).get_json()
    assert [r["is_default"] for r in listing] == [False, True]

    changes = events_of(db, "default_resume_changed")
    assert [c["data"] for c in changes] == [
        {"student_id": ALICE, "resume_id": first["id"], "completeness": 0, "previous_resume_id": None},
        {"student_id": ALICE, "resume_id": second["id"], "completeness": 100, "previous_resume_id": first["id"]},
    ]
    assert client.delete(f"{API}/resumes/{second['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/resumes/{second['id']}", headers=headers).status_code == 404
    assert [r["is_default"] for r in client.get(f"{API}/resumes", headers=headers).get_json()] == [False]
    cleared = events_of(db, "default_resume_changed")[-1]["data"]
    assert cleared == {"student_id": ALICE, "resume_id": None, "completeness": None,
                       "previous_resume_id": second["id"]}
    deleted = events_of(db, "resume_deleted")[-1]
    assert deleted["data"]["resume_id"] == second["id"] and deleted["data"]["is_default"] is True
    assert deleted["source"] == "/campus-careers/resume" and deleted["specversion"] == "1.0"


def test_a_student_keeps_at_most_the_cap(client, student):
    headers = student(ALICE)
    for _ in range(MAX_RESUMES_PER_STUDENT):
        create(client, headers)
    refused = client.post(f"{API}/resumes", json={"kind": "zh"}, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "resume_limit_reached"
    create(client, student(BOB))  # the cap is per student


def test_attachment_upload_rules(client, student, app):
    headers = student(ALICE)
    storage_root = app.extensions["resume"].storage.root
    resume = create(client, headers, kind="attachment", basic_info={"name": "张三"})
    assert resume["completeness"] == 5 and resume["missing"][0] == "attachment"

    executable = upload(client, headers, resume["id"], exe_file(), name="resume.pdf")
    assert executable.status_code == 415 and executable.get_json()["code"] == "unsupported_file_type"
    assert upload(client, headers, resume["id"], zip_file(), name="简历.docx").status_code == 415
    too_big = upload(client, headers, resume["id"], b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), name="big.pdf")
    assert too_big.status_code == 413 and too_big.get_json()["code"] == "file_too_large"
    empty = upload(client, headers, resume["id"], b"", name="empty.pdf")
    assert empty.status_code == 422
    missing_file = client.post(f"{API}/resumes/{resume['id']}/attachment", headers=headers, data={},
                               content_type="multipart/form-data")
    assert missing_file.status_code == 422 and "file" in missing_file.get_json()["errors"]
    assert not list(storage_root.rglob("*.*"))  # nothing refused was kept

    ok = upload(client, headers, resume["id"], pdf_file(), name="../../etc/passwd")
    assert ok.status_code == 201, ok.get_json()
    body = ok.get_json()
    assert body["completeness"] == 75 and body["attachment"]["mime"] == "application/pdf"
    assert body["attachment"]["original_name"] == "passwd" and "key" not in body["attachment"]
    stored = [p for p in storage_root.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].parent.name == "resumes" and stored[0].suffix == ".pdf"

    download = client.get(f"{API}/resumes/{resume['id']}/attachment", headers=headers)
    assert download.status_code == 200 and download.data == pdf_file()
    assert download.mimetype == "application/pdf" and "passwd.pdf" in download.headers["Content-Disposition"]

    docx = upload(client, headers, resume["id"], docx_file(), name="我的简历.docx")
    assert docx.status_code == 201
    assert docx.get_json()["attachment"]["mime"].endswith("wordprocessingml.document")
    assert [p.suffix for p in storage_root.rglob("*") if p.is_file()] == [".docx"]  # the replaced file is gone
    doc = upload(client, headers, resume["id"], doc_file(), name="old.doc")
    assert doc.status_code == 201 and doc.get_json()["attachment"]["mime"] == "application/msword"

    wrong_kind = create(client, headers)
    refused = upload(client, headers, wrong_kind["id"], pdf_file())
    assert refused.status_code == 409 and refused.get_json()["code"] == "wrong_resume_kind"
    no_file = create(client, headers, kind="attachment")
    assert client.get(f"{API}/resumes/{no_file['id']}/attachment", headers=headers).status_code == 404


def test_attachment_resume_refuses_sections_it_does_not_carry(client, student):
    response = client.post(f"{API}/resumes", headers=student(ALICE),
                           json={"kind": "attachment", "skills": ["Python"]})
    assert response.status_code == 422 and "skills" in response.get_json()["errors"]


def test_an_oversized_request_is_413_in_the_envelope(client, student):
    resume = create(client, student(ALICE), kind="attachment")
    body = b"x" * (12 * 1024 * 1024)  # beyond the request limit, before any multipart parsing
    response = client.post(f"{API}/resumes/{resume['id']}/attachment", headers=student(ALICE), data=body,
                           content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 413
    assert response.get_json()["code"] == "file_too_large" and "10 MB" in response.get_json()["message"]


def test_pdf_export(client, student):
    headers = student(ALICE)
    zh = create(client, headers, title="后端开发", **full_sections())
    response = client.get(f"{API}/resumes/{zh['id']}/pdf", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "张三" in text and "清华大学" in text and "教育经历" in text
    en = create(client, headers, kind="en", **full_sections())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"{API}/resumes/{en['id']}/pdf", headers=headers).data)).pages)
    assert "Education" in text and "清华大学" in text
    attachment = create(client, headers, kind="attachment")
    refused = client.get(f"{API}/resumes/{attachment['id']}/pdf", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "wrong_resume_kind"


def test_deleting_removes_the_file_unless_it_was_delivered(client, student, app, db):
    from services.resume.domain.resumes import delivery_snapshot

    headers = student(ALICE)
    storage_root = app.extensions["resume"].storage.root
    kept = create(client, headers, kind="attachment")
    upload(client, headers, kept["id"], pdf_file())
    with db.write() as session:
        snapshot = delivery_snapshot(session, ALICE)  # an application froze it
    key = snapshot["snapshot"]["attachment"]["key"]
    dropped = create(client, headers, kind="attachment")
    upload(client, headers, dropped["id"], docx_file())
    with db.read() as session:
        dropped_key = session.execute(select(Resume.attachment_key).where(Resume.id == dropped["id"])).scalar_one()
    for resume in (kept, dropped):
        assert client.delete(f"{API}/resumes/{resume['id']}", headers=headers).status_code == 204
    assert (storage_root / key).is_file()
    assert not (storage_root / dropped_key).exists()


def test_openapi_documents_the_weighting_and_events(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert "完整度" in spec["info"]["description"] and "`education`" in spec["info"]["description"]
    assert "/api/v1/resume/resumes/{resume_id}/default" in spec["paths"]
    events = client.get(f"{API}/asyncapi.json").get_json()
    assert {"resume.resume_created", "resume.default_resume_changed"} <= set(events["channels"])
