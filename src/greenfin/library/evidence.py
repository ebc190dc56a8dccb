"""Evidence documents: kinds (which are required) and the upload rules (type allow-list, size
limit, magic-byte check that the bytes are what the file name declares).

Both are data (``reference/data/library/document_kinds.csv`` and ``document_types.csv``). A file
is accepted only when its extension is on the allow-list, its size is within the type's limit and
its first bytes carry the type's signature; an OOXML workbook or document must also be a ZIP
holding the ``xl/`` or ``word/`` part and no macro project. Nothing here executes or renders a
file. Pure: no I/O except the shipped rules.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

from greenfin.reference import data_rows

MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    label_zh: str
    label_en: str
    required: bool


@dataclass(frozen=True)
class DocumentType:
    media_type: str
    extensions: tuple[str, ...]
    signature: bytes
    container: str  # a ZIP part prefix the package must hold ("" if not a ZIP package)
    max_bytes: int
    label_zh: str
    label_en: str


class EvidenceError(ValueError):
    """A document refused; ``field`` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@cache
def document_kinds() -> dict[str, DocumentKind]:
    return {
        r["kind"]: DocumentKind(r["kind"], r["label_zh"], r["label_en"], r["required"] == "true")
        for r in data_rows("library", "document_kinds.csv")
    }


def required_kinds() -> frozenset[str]:
    return frozenset(k.kind for k in document_kinds().values() if k.required)


@cache
def document_types() -> tuple[DocumentType, ...]:
    return tuple(
        DocumentType(
            media_type=r["media_type"],
            extensions=tuple(e.strip().lower() for e in r["extensions"].split("|")),
            signature=bytes.fromhex(r["signature_hex"]),
            container=r["container"],
            max_bytes=int(r["max_bytes"]),
            label_zh=r["label_zh"],
            label_en=r["label_en"],
        )
        for r in data_rows("library", "document_types.csv")
    )


def allowed_extensions() -> list[str]:
    return [e for t in document_types() for e in t.extensions]


def max_upload_bytes() -> int:
    """The largest limit of any type: faces read at most this much (+1) from an upload."""
    return max(t.max_bytes for t in document_types())


def safe_filename(name: str) -> str:
    """The base name only, without control characters or quotes (it goes into a header)."""
    base = PurePath(str(name).replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>\r\n')
    return cleaned.strip()[:MAX_NAME_LENGTH]


def declared_type(filename: str, field_name: str = "file") -> DocumentType:
    suffix = PurePath(filename).suffix.lower()
    for doc_type in document_types():
        if suffix in doc_type.extensions:
            return doc_type
    raise EvidenceError(
        field_name,
        f"file type {suffix or '(none)'!r} not allowed; allowed: {', '.join(allowed_extensions())}"
        " / 不支持的文件类型",
    )


def _zip_parts(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def check_document(
    filename: str, data: bytes, kind: str, prefix: str = ""
) -> tuple[DocumentType, str]:
    """Check one upload; returns its type and safe file name or raises :class:`EvidenceError`.

    ``prefix`` is put before the field names ``file`` and ``kind`` (``documents[1].``)."""
    field_name = f"{prefix}file"
    if kind not in document_kinds():
        raise EvidenceError(
            f"{prefix}kind", f"unknown document kind {kind!r}; known: {', '.join(document_kinds())}"
        )
    name = safe_filename(filename)
    if not name:
        raise EvidenceError(field_name, "the file has no name / 文件名为空")
    doc_type = declared_type(name, field_name)
    if not data:
        raise EvidenceError(field_name, "the file is empty / 文件为空")
    if len(data) > doc_type.max_bytes:
        raise EvidenceError(
            field_name,
            f"{len(data):,} bytes exceeds the {doc_type.max_bytes // 2**20} MiB limit for "
            f"{doc_type.label_en} / 文件超过大小限制",
        )
    if not data.startswith(doc_type.signature):
        raise EvidenceError(
            field_name,
            f"the content is not a {doc_type.label_en} although the name says {name!r} "
            "/ 文件内容与声明的类型不符",
        )
    if doc_type.container:
        parts = _zip_parts(data)
        if parts is None or not any(p.startswith(doc_type.container) for p in parts):
            raise EvidenceError(
                field_name,
                f"not a valid {doc_type.label_en} package (no {doc_type.container} part) "
                "/ 文件内容与声明的类型不符",
            )
        if any(p.lower().endswith("vbaproject.bin") for p in parts):
            raise EvidenceError(field_name, "macro-enabled documents are not accepted / 不接受宏")
    return doc_type, name
