"""Synthetic (示例) disclosure inputs for one demo bank: operational data and a few narratives.

Illustrative numbers only, chosen to look like a small city bank; every narrative says it is an
example. Some sections are left empty on purpose so the report shows what a missing input looks
like.
"""

from __future__ import annotations

from typing import Any

DEMO_YEAR = 2025


def demo_inputs() -> dict[str, Any]:
    """``{"operations": …, "narratives": …}`` in the shape of
    :func:`greenfin.banking.disclosure.parse_operations` / ``parse_narratives``."""
    return {
        "operations": {
            "employees": 420,
            "items": {
                "office_coal": {"quantity": 0, "unit": "t"},
                "office_diesel": {"quantity": 1.2, "unit": "t"},
                "office_gasoline": {"quantity": 0, "unit": "t"},
                "office_natural_gas": {"quantity": 18500, "unit": "m3"},
                "vehicle_diesel": {"quantity": 0, "unit": "t"},
                "vehicle_gasoline": {"quantity": 9.6, "unit": "t"},
                "office_electricity": {"quantity": 2860000, "unit": "kWh"},
                "travel_energy": {"quantity": 31.5, "unit": "tce"},
                "water": {"quantity": 15400, "unit": "t"},
                "paper": {"quantity": 12.8, "unit": "t"},
                "recycled_paper": {"quantity": 2.1, "unit": "t"},
            },
            "reported": {
                "s3_travel_transport": {"tco2": 74.3, "source": "差旅服务商年度报告（示例）"},
            },
        },
        "narratives": {
            "overview": (
                "【示例】本行为平台演示用的合成机构。本年度本行将绿色金融纳入发展战略，"
                "绿色贷款保持增长，经营活动碳排放按深圳模板口径首次完整核算。"
            ),
            "governance.board": (
                "【示例】董事会下设战略与可持续发展"
                "委员会，每年审议绿色金融发展规划。"
            ),
            "governance.management": (
                "【示例】行长牵头绿色金融领导小组，"
                "按季度听取绿色信贷与环境风险报告。"
            ),
            "policies": (
                "【示例】制定《绿色信贷管理办法》《环境与社会"
                "风险管理办法》，执行人民银行绿色金融评价要求。"
            ),
            "operations_impact.measures": (
                "【示例】推行无纸化办公与网点节能改造，年内更换LED照明与高效空调。"
            ),
            "data_governance": (
                "【示例】环境数据由各部门按季度报送，经合"
                "规部门复核后入库，按数据安全制度分级保护。"
            ),
        },
    }  # fmt: skip
