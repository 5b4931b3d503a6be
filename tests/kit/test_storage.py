"""Uploads are typed by content and stored under generated names."""
import io
import zipfile

import pytest

from cc_kit.errors import ApiError
from cc_kit.storage import LocalStorage, detect_type

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_detects_types_by_content():
    assert detect_type(PDF)[0] == "application/pdf"
    assert detect_type(_docx())[1] == "docx"
    assert detect_type(b"MZ\x90\x00 executable") is None
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("a.txt", "x")
    assert detect_type(plain_zip.getvalue()) is None


def test_save_uses_generated_key_and_refuses_bad_files(tmp_path):
    storage = LocalStorage(tmp_path)
    stored = storage.save("resumes", PDF, allowed={"application/pdf"}, max_bytes=1024,
                          original_name="../../etc/简历.pdf")
    assert stored.original_name == "简历.pdf"
    assert ".." not in stored.key and stored.key.endswith(".pdf")
    assert storage.open(stored.key) == PDF
    with pytest.raises(ApiError) as err:
        storage.save("resumes", b"MZ\x90\x00" * 10, allowed={"application/pdf"}, max_bytes=1024, original_name="x.pdf")
    assert err.value.status == 415
    with pytest.raises(ApiError) as err:
        storage.save("resumes", PDF + b"0" * 2048, allowed={"application/pdf"}, max_bytes=1024)
    assert err.value.status == 413
    with pytest.raises(ValueError):
        storage.open("../../etc/passwd")
