"""File uploads and table downloads shared by the API routers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from fastapi import UploadFile
from fastapi.responses import Response

from greenfin.engine import tables
from greenfin.services.errors import InvalidInput

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
}
# OpenAPI description of a table-download answer
TABLE_RESPONSE = {200: {"content": {m: {} for m in MEDIA_TYPES.values()}}}


async def read_upload(file: UploadFile) -> tuple[bytes, str]:
    """The uploaded bytes (size-checked) and a safe base file name."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput.on("file", f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    return data, Path(file.filename or "upload.csv").name


def table_download(frame: pl.DataFrame, stem: str, output_format: str) -> Response:
    """A frame as an attachment in CSV, XLSX or Parquet."""
    name = f"{stem}.{output_format}"
    return Response(
        content=tables.table_bytes(frame, name),
        media_type=MEDIA_TYPES[f".{output_format}"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
