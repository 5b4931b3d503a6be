"""Resumes end to end through the gateway: every row of the resume table of API.md with its errors."""
from __future__ import annotations

import io
import threading

import pytest
import requests
from pypdf import PdfReader

from tests.auth.e2e_client import AuthClient
from tests.resume.samples import docx_file, exe_file, full_sections, pdf_file

pytestmark = pytest.mark.e2e

def _register_students(suite, names: list[str]) -> dict[str, dict]:
    """Students as a school gets them: roster import, two-step registration, login (tests/auth/e2e_client)."""
    auth = AuthClient(suite)
    headers = {}
    for name in names:
        student = auth.new_student(name=name)
        headers[name] = {"Authorization": f"Bearer {auth.token(student['student_no'], student['password'], '10001')}"}
    return headers


@pytest.fixture(scope="module")
def api(suite) -> str:
    return f"{suite.url}/api/v1/resume"


@pytest.fixture(scope="module")
def students(suite) -> dict[str, dict]:
    return _register_students(suite, ["张三", "李四"])


@pytest.fixture(scope="module")
def alice(students) -> dict:
    return students["张三"]


@pytest.fixture(scope="module")
def bob(students) -> dict:
    return students["李四"]


def _create(api: str, headers: dict, kind: str = "zh", **body) -> dict:
    response = requests.post(f"{api}/resumes", json={"kind": kind, **body}, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _upload(api: str, headers: dict, resume_id: int, content: bytes, name: str) -> requests.Response:
    return requests.post(f"{api}/resumes/{resume_id}/attachment", headers=headers, timeout=120,
                         files={"file": (name, io.BytesIO(content), "application/pdf")})


# --- the table, row by row ----------------------------------------------------------------------------
def test_create_list_read_replace_patch_delete(api, alice):
    empty = _create(api, alice, title="空白简历")
    assert empty["completeness"] < 60 and {"basic_info", "education"} <= set(empty["missing"])
    full = _create(api, alice, kind="en", **full_sections())
    assert full["completeness"] >= 90 and full["missing"] == []

    listing = requests.get(f"{api}/resumes", headers=alice, timeout=10)
    assert listing.status_code == 200
    assert {empty["id"], full["id"]} <= {r["id"] for r in listing.json()}
    assert sum(r["is_default"] for r in listing.json()) == 1

    url = f"{api}/resumes/{empty['id']}"
    read = requests.get(url, headers=alice, timeout=10).json()
    assert read["title"] == "空白简历" and "completeness" in read and "is_default" in read
    replaced = requests.put(url, headers=alice, timeout=10, json={"title": "后端简历", **full_sections()})
    assert replaced.status_code == 200 and replaced.json()["completeness"] == 100
    patched = requests.patch(url, headers=alice, timeout=10, json={"internships": None})
    assert patched.status_code == 200 and patched.json()["completeness"] == 85
    assert patched.json()["education"][0]["school"] == "清华大学"
    assert requests.delete(url, headers=alice, timeout=10).status_code == 204
    assert requests.get(url, headers=alice, timeout=10).status_code == 404


def test_unknown_kind_and_bad_sections_are_422(api, alice):
    unknown = requests.post(f"{api}/resumes", json={"kind": "video"}, headers=alice, timeout=10)
    assert unknown.status_code == 422 and "kind" in unknown.json()["errors"]
    bad = requests.post(f"{api}/resumes", headers=alice, timeout=10, json={
        "kind": "zh", "education": [{"school": "北大", "major": "法学", "degree": "本科", "start": "2024-13"}],
        "job_intention": {"salary_min": 20000, "salary_max": 1000}})
    assert bad.status_code == 422 and {"education", "job_intention"} <= set(bad.json()["errors"])


def test_completeness_of_an_empty_resume_says_what_is_missing(api, alice):
    resume = _create(api, alice)
    body = requests.get(f"{api}/resumes/{resume['id']}/completeness", headers=alice, timeout=10).json()
    assert body["score"] < 60 and "education" in body["missing"]
    assert {item["label"] for item in body["missing_items"]} >= {"教育经历", "基本信息"}


def test_another_student_cannot_read_or_change_my_resume(api, alice, bob):
    mine = _create(api, alice, **full_sections())
    url = f"{api}/resumes/{mine['id']}"
    for method, path, kwargs in (("get", "", {}), ("put", "", {"json": {"title": "x"}}),
                                 ("patch", "", {"json": {"title": "x"}}), ("delete", "", {}),
                                 ("get", "/completeness", {}), ("post", "/default", {}), ("get", "/pdf", {})):
        response = requests.request(method, url + path, headers=bob, timeout=10, **kwargs)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert "code" in response.json()
    assert requests.get(url, headers=alice, timeout=10).json()["title"] == mine["title"]
    assert requests.get(url, timeout=10).status_code == 401


def test_default_switch_is_atomic_under_concurrent_switches(api, bob):
    ids = [_create(api, bob)["id"] for _ in range(3)]
    failures = []

    def switch(resume_id):
        for _ in range(5):
            response = requests.post(f"{api}/resumes/{resume_id}/default", headers=bob, timeout=30)
            if response.status_code != 200:
                failures.append(response.status_code)

    threads = [threading.Thread(target=switch, args=(ids[n % 3],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    listing = requests.get(f"{api}/resumes", headers=bob, timeout=10).json()
    assert sum(r["is_default"] for r in listing) == 1
    final = requests.post(f"{api}/resumes/{ids[0]}/default", headers=bob, timeout=10).json()
    assert final["is_default"] is True
    deleted = requests.delete(f"{api}/resumes/{ids[0]}", headers=bob, timeout=10)
    assert deleted.status_code == 204
    assert not any(r["is_default"] for r in requests.get(f"{api}/resumes", headers=bob, timeout=10).json())


def test_attachment_rules(api, alice, bob):
    resume = _create(api, alice, kind="attachment")
    url = f"{api}/resumes/{resume['id']}"

    renamed = _upload(api, alice, resume["id"], exe_file(), "resume.pdf")
    assert renamed.status_code == 415 and "code" in renamed.json()
    huge = _upload(api, alice, resume["id"], b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024), "big.pdf")
    assert huge.status_code == 413 and "code" in huge.json()

    sneaky = _upload(api, alice, resume["id"], pdf_file(), "../../../etc/passwd.pdf")
    assert sneaky.status_code == 201, sneaky.text
    assert sneaky.json()["attachment"]["original_name"] == "passwd.pdf" and sneaky.json()["completeness"] >= 60
    download = requests.get(f"{url}/attachment", headers=alice, timeout=30)
    assert download.status_code == 200 and download.content == pdf_file()
    assert "/" not in download.headers["Content-Disposition"].split("filename", 1)[1]
    assert requests.get(f"{url}/attachment", headers=bob, timeout=10).status_code in (403, 404)
    assert _upload(api, bob, resume["id"], pdf_file(), "x.pdf").status_code in (403, 404)

    docx = _upload(api, alice, resume["id"], docx_file(), "简历.docx")
    assert docx.status_code == 201 and docx.json()["attachment"]["mime"].endswith("document")


def test_pdf_export_renders_chinese_text(api, alice):
    zh = _create(api, alice, **full_sections())
    response = requests.get(f"{api}/resumes/{zh['id']}/pdf", headers=alice, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "张三" in text and "清华大学" in text and "教育经历" in text
    en = _create(api, alice, kind="en", **full_sections())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
        requests.get(f"{api}/resumes/{en['id']}/pdf", headers=alice, timeout=30).content)).pages)
    assert "Education" in text and "清华大学" in text
