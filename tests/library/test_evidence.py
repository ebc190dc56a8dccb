"""Evidence uploads: type allow-list, size limit, content must be what the name declares."""

import io
import zipfile

import pytest
import xlsxwriter

from greenfin.library.evidence import EvidenceError, check_document, document_types, safe_filename

PDF = b"%PDF-1.7\n% test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write(0, 0, "能耗")
    book.close()
    return buffer.getvalue()


def zip_bytes(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


def refused(filename: str, data: bytes, kind: str = "feasibility_study") -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        check_document(filename, data, kind, prefix="documents[0].")
    return info.value


def test_accepted_types():
    assert (
        check_document("可研报告.pdf", PDF, "feasibility_study")[0].media_type == "application/pdf"
    )
    assert check_document("a.PNG", PNG, "certificate")[0].media_type == "image/png"
    assert check_document("a.jpeg", JPEG, "other")[0].media_type == "image/jpeg"
    assert check_document("能耗.xlsx", xlsx_bytes(), "other")[0].extensions == (".xlsx",)
    docx = zip_bytes("[Content_Types].xml", "word/document.xml")
    assert check_document("批复.docx", docx, "eia_approval")[1] == "批复.docx"


def test_bytes_that_are_not_the_declared_type_are_refused_naming_the_field():
    error = refused("eia.pdf", PNG)
    assert error.field == "documents[0].file" and "不符" in error.message
    assert "不符" in refused("photo.png", PDF).message
    assert "不符" in refused("table.xlsx", zip_bytes("word/document.xml")).message
    assert "不符" in refused("table.xlsx", b"PK\x03\x04 not really a zip").message
    assert "宏" in refused("macro.xlsx", zip_bytes("xl/workbook.xml", "xl/vbaProject.bin")).message


def test_type_allow_list_size_limit_kind_and_names():
    assert "not allowed" in refused("setup.exe", b"MZ").message
    assert "not allowed" in refused("noext", PDF).message
    limit = next(t.max_bytes for t in document_types() if t.media_type == "application/pdf")
    oversize = refused("big.pdf", PDF + b"\0" * limit)
    assert oversize.field == "documents[0].file" and "limit" in oversize.message
    assert "empty" in refused("empty.pdf", b"").message
    assert refused("a.pdf", PDF, kind="selfie").field == "documents[0].kind"
    assert safe_filename('../../etc/pa"ss\r\nwd.pdf') == "passwd.pdf"
    assert safe_filename("C:\\Users\\x\\报告.pdf") == "报告.pdf"
