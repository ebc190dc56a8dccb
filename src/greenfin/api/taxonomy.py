"""API v1: taxonomy catalogues, crosswalks and screening."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from greenfin.api.deps import allow
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.engine import tables
from greenfin.identity.principal import Principal
from greenfin.services import taxonomy
from greenfin.services.errors import InvalidInput

router = APIRouter(prefix="/api/v1/taxonomy", tags=["taxonomy"], responses=PROBLEM_RESPONSES)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
}
Edition = Annotated[str, Path(max_length=40, examples=["green-finance-2025"])]


async def read_upload(file: UploadFile) -> tuple[bytes, str]:
    """The uploaded bytes (size-checked) and a safe base file name."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput.on("file", f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    return data, FilePath(file.filename or "upload.csv").name


@router.get("/editions", response_model=list[taxonomy.EditionOut])
def list_editions(_: Annotated[Principal, Depends(allow())]) -> list[taxonomy.EditionOut]:
    """Catalogue editions; ``green-finance-2025`` is the default."""
    return taxonomy.list_editions()


@router.get("/editions/{edition}/items", response_model=list[taxonomy.ItemOut])
def list_items(
    edition: Edition,
    _: Annotated[Principal, Depends(allow())],
    q: Annotated[str | None, Query(max_length=100)] = None,
    level: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> list[taxonomy.ItemOut]:
    return taxonomy.list_items(edition, q, level)


@router.get("/editions/{edition}/items/{code}", response_model=taxonomy.ItemDetailOut)
def item_detail(
    edition: Edition,
    code: Annotated[str, Path(max_length=20, examples=["4.2.2"])],
    _: Annotated[Principal, Depends(allow())],
) -> taxonomy.ItemDetailOut:
    """One item with its text, GB/T 4754 codes, crosswalk links, EU links and criteria."""
    return taxonomy.item_detail(edition, code)


@router.get("/industries/{code}", response_model=taxonomy.IndustryOut)
def industry(
    code: Annotated[str, Path(max_length=4, examples=["4416"])],
    _: Annotated[Principal, Depends(allow())],
) -> taxonomy.IndustryOut:
    """A GB/T 4754-2017 code: its NACE Rev. 2 division(s) and candidate 2025 catalogue items."""
    return taxonomy.industry_detail(code)


@router.post("/screen", response_model=taxonomy.ScreenOut)
def screen(
    body: taxonomy.ScreenRequest, _: Annotated[Principal, Depends(allow())]
) -> taxonomy.ScreenOut:
    """Screen one project or loan description: ranked items, evidence, criteria, verdict."""
    return taxonomy.screen_one(body)


@router.post(
    "/screen/batch",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
)
async def screen_batch(
    _: Annotated[Principal, Depends(allow())],
    file: Annotated[UploadFile, File(description="CSV/XLSX/Parquet with id,name,description")],
    edition: Annotated[str, Form(max_length=40)] = "green-finance-2025",
    top_k: Annotated[int, Form(ge=1, le=10)] = 3,
    output_format: Annotated[str, Form(pattern="^(csv|xlsx|parquet)$")] = "csv",
) -> Response:
    """Upload a file, download the screening result (one row per id). All rows or nothing:
    any bad row is reported (row and field) as problem+json and no result is produced."""
    data, name = await read_upload(file)
    frame, _encoding = taxonomy.screen_table(data, name, edition, top_k)
    out_name = f"{FilePath(name).stem}-screened.{output_format}"
    return Response(
        content=tables.table_bytes(frame, out_name),
        media_type=MEDIA_TYPES[f".{output_format}"],
        headers={"Content-Disposition": f'attachment; filename="{out_name}"'},
    )
