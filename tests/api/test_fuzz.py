"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every operation in the schema is fuzzed as the admin (who may call every endpoint), bounded in
examples per operation, so each route added later is fuzzed too. Checks: no 5xx, responses conform
to the documented schema, status codes and content types.

(schemathesis' own pytest plugin is not used: its subtest machinery is incompatible with pytest 9.2;
the operations are driven directly through hypothesis instead.)
"""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as sc

from greenfin.app import create_app
from tests.conftest import api_token, make_settings

EXAMPLES_PER_OPERATION = 30
CHECKS = [
    sc.not_a_server_error,
    sc.status_code_conformance,
    sc.content_type_conformance,
    sc.response_schema_conformance,
]
# Revoking the admin's own token would turn every later example into a 401 by design;
# token revocation is covered in tests/api/test_api.py and the authorisation matrix.
SKIP = {("DELETE", "/api/v1/auth/token")}


@pytest.mark.fuzz
def test_api_fuzz(demo_db, tmp_path):
    app = create_app(make_settings(tmp_path, demo_db), demo_db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    with TestClient(app) as client:
        headers = api_token(client, "demo-admin")
    fuzzed, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        fuzzed.append(operation.path)
    assert len(fuzzed) >= 10, fuzzed
    assert not failures, "\n\n".join(failures)
