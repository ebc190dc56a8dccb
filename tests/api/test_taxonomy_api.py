import io

import polars as pl

from tests.conftest import api_token


def test_editions_and_item_detail(demo_client):
    headers = api_token(demo_client, "demo-enterprise")
    editions = demo_client.get("/api/v1/taxonomy/editions", headers=headers).json()
    assert {e["id"] for e in editions} >= {"green-finance-2025", "bond-2021", "industry-2019"}
    item = demo_client.get(
        "/api/v1/taxonomy/editions/green-finance-2025/items/4.2.2", headers=headers
    ).json()
    assert item["name_zh"] == "太阳能利用设施建设和运营"
    assert any(link["edition"] == "bond-2021" for link in item["crosswalk"])
    missing = demo_client.get(
        "/api/v1/taxonomy/editions/industry-2024/items/1.1.1", headers=headers
    )
    assert missing.status_code == 404


def test_screen_one_record(demo_client):
    headers = api_token(demo_client, "demo-bank")
    body = {
        "name": "屋顶光伏",
        "description": "用于屋顶分布式光伏电站建设",
        "industry_code": "4416",
    }
    result = demo_client.post("/api/v1/taxonomy/screen", json=body, headers=headers).json()
    assert result["candidates"][0]["code"] == "4.2.2"
    assert result["verdict"] == "needs_evidence" and result["explanation"]
    # the closest hand-labelled example under the leading item, with its cosine
    example_id, cosine = result["candidates"][0]["similar_example"].split()
    assert ":" in example_id and 0 < float(cosine) <= 1


def test_screen_errors_name_the_field(demo_client):
    headers = api_token(demo_client, "demo-bank")
    empty = demo_client.post("/api/v1/taxonomy/screen", json={"description": " "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "description"
    code = demo_client.post(
        "/api/v1/taxonomy/screen", json={"description": "光伏", "industry_code": "9999"},
        headers=headers,
    )  # fmt: skip
    assert code.json()["errors"][0]["field"] == "industry_code"
    edition = demo_client.post(
        "/api/v1/taxonomy/screen", json={"description": "光伏", "edition": "x"}, headers=headers
    )
    assert edition.json()["errors"][0]["field"] == "edition"


def test_batch_upload_download(demo_client):
    headers = api_token(demo_client, "demo-bank")
    csv = "id,name,description\nA,,屋顶光伏电站\nB,,补充流动资金\n".encode("gbk")
    response = demo_client.post(
        "/api/v1/taxonomy/screen/batch",
        files={"file": ("book.csv", csv, "text/csv")},
        data={"edition": "green-finance-2025", "output_format": "parquet"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert 'filename="book-screened.parquet"' in response.headers["content-disposition"]
    out = pl.read_parquet(io.BytesIO(response.content))
    assert out["id"].to_list() == ["A", "B"]
    assert out["verdict"].to_list()[1] == "out_of_scope"


def test_batch_with_bad_rows_is_all_or_nothing(demo_client):
    headers = api_token(demo_client, "demo-bank")
    csv = b"id,name,description\nA,,x\nA,,\n"
    response = demo_client.post(
        "/api/v1/taxonomy/screen/batch", files={"file": ("book.csv", csv)}, headers=headers
    )
    assert response.status_code == 422
    problems = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert problems == {(1, "id"), (2, "id"), (2, "description")}
    missing = demo_client.post(
        "/api/v1/taxonomy/screen/batch", files={"file": ("b.csv", b"id,name\n1,x\n")},
        headers=headers,
    )  # fmt: skip
    assert missing.json()["errors"][0]["field"] == "description"


def test_industry_code_lists_nace_and_candidate_items(demo_client):
    headers = api_token(demo_client, "demo-regulator")
    body = demo_client.get("/api/v1/taxonomy/industries/4416", headers=headers).json()
    assert body["name_zh"] == "太阳能发电"
    assert any(n["nace_division"] == "35" for n in body["nace"])
    assert "4.2.2" in {i["code"] for i in body["candidate_items"]}
    assert demo_client.get("/api/v1/taxonomy/industries/9999", headers=headers).status_code == 404
