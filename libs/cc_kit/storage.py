"""File storage behind a small interface (local directory under DATA_DIR today, object storage later).

Uploaded names are metadata only: files are stored under generated keys, and their type is
recognised from their first bytes, never from the name or the Content-Type header.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import ApiError

# (mime type, extension, test on the first bytes)
_SIGNATURES = [
    ("application/pdf", "pdf", lambda b: b.startswith(b"%PDF-")),
    ("image/png", "png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", "jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("image/webp", "webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    # Word 97–2003 .doc (OLE2 compound file)
    ("application/msword", "doc", lambda b: b.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")),
]


def sniff(head: bytes) -> tuple[str, str] | None:
    """(mime, extension) recognised from the content, or None."""
    for mime, ext, test in _SIGNATURES:
        if test(head):
            return mime, ext
    if head.startswith(b"PK\x03\x04"):
        return "application/zip", "zip"
    return None


def sniff_docx(data: bytes) -> bool:
    """A .docx is a zip holding word/document.xml."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def detect_type(data: bytes) -> tuple[str, str] | None:
    kind = sniff(data[:16])
    if kind and kind[0] == "application/zip":
        if sniff_docx(data):
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
        return None
    return kind


@dataclass(frozen=True)
class StoredFile:
    key: str
    mime: str
    size: int
    sha256: str
    original_name: str


class LocalStorage:
    """Files under `<DATA_DIR>/files/<area>/`, addressed by generated keys."""

    def __init__(self, root: Path):
        self.root = Path(root) / "files"
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, area: str, data: bytes, *, allowed: set[str], max_bytes: int,
             original_name: str = "") -> StoredFile:
        if len(data) > max_bytes:
            raise ApiError(f"文件超过 {max_bytes // (1024 * 1024)} MB 上限 (file too large)", status=413,
                           code="file_too_large")
        if not data:
            raise ApiError("文件为空 (empty file)", status=422, code="empty_file")
        kind = detect_type(data)
        if kind is None or kind[0] not in allowed:
            raise ApiError("不支持的文件类型 (unsupported file type)", status=415, code="unsupported_file_type",
                           allowed=sorted(allowed))
        mime, ext = kind
        key = f"{_safe(area)}/{uuid.uuid4().hex}.{ext}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return StoredFile(key=key, mime=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          original_name=os.path.basename(original_name.replace("\\", "/"))[:200])

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path


def _safe(area: str) -> str:
    return "".join(c for c in area if c.isalnum() or c in "-_") or "misc"
