"""API v1: taxonomy catalogues, crosswalks and screening."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from greenfin.api.deps import allow
from greenfin.api.files import TABLE_RESPONSE, read_upload, table_download
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.services import taxonomy

router = APIRouter(prefix="/api/v1/taxonomy", tags=["taxonomy"], responses=PROBLEM_RESPONSES)

Edition = Annotated[str, Path(max_length=40, examples=["green-finance-2025"])]


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
    responses=TABLE_RESPONSE,
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
    return table_download(frame, f"{FilePath(name).stem}-screened", output_format)
