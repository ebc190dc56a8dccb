"""Layering (ARCHITECTURE.md): domain and reference packages never import the store, services or
faces; services never import faces."""

import ast
from pathlib import Path

import greenfin

ROOT = Path(greenfin.__file__).parent
FACES = {"greenfin.api", "greenfin.web", "greenfin.cli", "greenfin.app"}
INFRA_AND_UP = {"greenfin.store", "greenfin.services", "greenfin.ledger", *FACES}
RULES = {
    "identity": INFRA_AND_UP,
    "reference": INFRA_AND_UP,
    "demo": INFRA_AND_UP,
    "taxonomy": INFRA_AND_UP,
    "carbon": INFRA_AND_UP,
    "banking": INFRA_AND_UP,
    "library": INFRA_AND_UP,
    "reports": {"greenfin.store", "greenfin.services", *FACES},
    "engine": {"greenfin.services", *FACES},
    "ledger": {"greenfin.services", *FACES},
    "store": {"greenfin.services", "greenfin.ledger", *FACES},
    "services": FACES,
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layers_point_down():
    violations = []
    for package, forbidden in RULES.items():
        for path in (ROOT / package).rglob("*.py"):
            for name in imports_of(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not violations, violations
