"""HTTP API of eligibility_api against a migrated database (PostgreSQL where reachable)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from eligibility_api.adapters.tables import EligibilityCheck
from eligibility_api.api.schemas import CHECK_EXAMPLES
from eligibility_api.app import create_app
from services.issuer import DevIssuer
from shared.messaging.memory import InMemoryPublisher
from tests.integration.eligibility.conftest import make_settings

CHECKS = "/v1/eligibility/checks"
EXAMPLE = CHECK_EXAMPLES["alg1_exhausted"]["value"]


@pytest.fixture
async def app(migrated_url: str, issuer: DevIssuer) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (relay into an in-memory broker)."""
    application = create_app(
        make_settings(migrated_url, issuer=issuer, relay=True), publisher=InMemoryPublisher()
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the app, without credentials."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://eligibility"
    ) as c:
        yield c


def auth(issuer: DevIssuer, org: str = "agentur-hagen", *scopes: str) -> dict[str, str]:
    """Bearer header for `org` with the given scopes (read and write by default)."""
    granted = scopes or ("eligibility:read", "eligibility:write")
    return {"Authorization": f"Bearer {issuer.token(org, granted)}"}


class TestCreateCheck:
    async def test_worked_example_1_answers_the_full_decision(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        response = await client.post(CHECKS, json=EXAMPLE, headers=auth(issuer))

        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"{CHECKS}/{body['id']}"
        assert body["legal_domain"] == "SGB_III"
        assert body["responsible_org_type"] == "AGENTUR"
        assert body["integration_responsible_org_type"] == "AGENTUR"
        assert body["parallel_entitlements"] == []
        assert body["key_dates"]["alg1_entitlement_days"] == 450
        assert body["key_dates"]["alg1_end_date"] == "2026-04-30"
        assert body["key_dates"]["responsibility_change_date"] == "2026-05-01"
        assert body["rules_version"] == "sgb2-buergergeld-2023"
        assert body["as_of"] == "2026-01-15"
        assert body["case_id"] is None
        assert body["created_at"]
        assert all(r["legal_ref"] and r["text_de"] for r in body["reasons"])
        assert {"ALG1_ENTITLEMENT_DURATION"} <= {r["code"] for r in body["reasons"]}
        assert isinstance(body["warnings"], list)

    @pytest.mark.parametrize("name", sorted(CHECK_EXAMPLES))
    async def test_every_documented_example_is_accepted(
        self, client: httpx.AsyncClient, issuer: DevIssuer, name: str
    ) -> None:
        response = await client.post(
            CHECKS, json=CHECK_EXAMPLES[name]["value"], headers=auth(issuer)
        )

        assert response.status_code == 201, response.text

    async def test_answer_names_elb_and_missing_facts_and_reads_them_back(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        """§ 7 (1) S. 1 SGB II: the answer says whether the person is an erwerbsfähige
        Leistungsberechtigte and which facts it lacked (§ 9 SGB II: hilfebedürftig unknown)."""
        body = (await client.post(CHECKS, json=EXAMPLE, headers=auth(issuer))).json()

        assert body["erwerbsfaehig_leistungsberechtigt"] is None
        assert "hilfebeduerftig" in body["missing_facts"]
        assert "receives_old_age_pension" in body["missing_facts"]
        assert "alg1.paid_days" in body["missing_facts"]
        read = await client.get(f"{CHECKS}/{body['id']}", headers=auth(issuer))
        assert read.json()["missing_facts"] == body["missing_facts"]
        assert read.json()["erwerbsfaehig_leistungsberechtigt"] is None

    async def test_refugee_recognised_moves_to_the_jobcenter_next_month(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        example = CHECK_EXAMPLES["asylum_recognised"]["value"]

        body = (await client.post(CHECKS, json=example, headers=auth(issuer))).json()

        assert body["legal_domain"] == "SGB_II"
        assert body["responsible_org_type"] == "JOBCENTER"
        assert body["key_dates"]["asylblg_end_date"] == "2026-03-31"
        assert body["key_dates"]["sgb2_start_date"] == "2026-04-01"

    async def test_unknown_fact_is_refused_with_field_errors(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        body: dict[str, Any] = {**EXAMPLE, "facts": {**EXAMPLE["facts"], "nationalty": "EU"}}

        response = await client.post(CHECKS, json=body, headers=auth(issuer))

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith("validation-error")
        assert ["body", "facts", "nationalty"] in [e["loc"] for e in problem["errors"]]

    async def test_unknown_nested_fact_is_refused(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        facts = {**EXAMPLE["facts"], "alg1": {**EXAMPLE["facts"]["alg1"], "paid": 3}}

        response = await client.post(CHECKS, json={**EXAMPLE, "facts": facts}, headers=auth(issuer))

        assert response.status_code == 422

    async def test_unknown_residence_status_is_refused(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        facts = {**EXAMPLE["facts"], "residence_status": "SOMETHING"}

        response = await client.post(CHECKS, json={**EXAMPLE, "facts": facts}, headers=auth(issuer))

        assert response.status_code == 422

    async def test_without_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CHECKS, json=EXAMPLE)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_read_scope_alone_cannot_create(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        response = await client.post(
            CHECKS, json=EXAMPLE, headers=auth(issuer, "agentur-hagen", "eligibility:read")
        )

        assert response.status_code == 403


class TestIdempotencyKey:
    async def test_repeat_with_same_body_replays_the_first_check(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        headers = {**auth(issuer), "Idempotency-Key": "check-1"}

        first = await client.post(CHECKS, json=EXAMPLE, headers=headers)
        second = await client.post(CHECKS, json=EXAMPLE, headers=headers)

        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["idempotent-replayed"] == "true"

    async def test_repeat_with_another_body_is_refused(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        headers = {**auth(issuer), "Idempotency-Key": "check-2"}
        await client.post(CHECKS, json=EXAMPLE, headers=headers)

        response = await client.post(
            CHECKS, json={**EXAMPLE, "as_of": "2026-02-01"}, headers=headers
        )

        assert response.status_code == 422
        assert response.json()["type"].endswith("idempotency-key-reused")

    async def test_same_key_of_another_org_is_independent(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        first = await client.post(
            CHECKS, json=EXAMPLE, headers={**auth(issuer), "Idempotency-Key": "k"}
        )
        other = await client.post(
            CHECKS,
            json=EXAMPLE,
            headers={**auth(issuer, "jobcenter-ennepe-ruhr"), "Idempotency-Key": "k"},
        )

        assert other.status_code == 201
        assert other.json()["id"] != first.json()["id"]

    async def test_one_key_sent_100_times_10_at_once_stores_one_check(
        self, app: FastAPI, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        headers = {**auth(issuer), "Idempotency-Key": "check-under-load"}
        answers: list[httpx.Response] = []
        for _ in range(10):
            answers += await asyncio.gather(
                *(client.post(CHECKS, json=EXAMPLE, headers=headers) for _ in range(10))
            )

        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) <= {201, 409}, statuses
        created = [a for a in answers if a.status_code == 201]
        assert len([a for a in created if "idempotent-replayed" not in a.headers]) == 1
        assert len({a.json()["id"] for a in created}) == 1
        async with app.state.runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(EligibilityCheck))
        assert stored == 1


class TestInputLimits:
    """Days the rule engine cannot compute with are a 422 naming the field, never a 500."""

    @pytest.mark.parametrize(
        ("change", "loc"),
        [
            pytest.param({"as_of": "9999-12-31"}, ["body", "as_of"], id="as-of-9999"),
            pytest.param({"as_of": "1899-12-31"}, ["body", "as_of"], id="as-of-1899"),
            pytest.param(
                {"facts": {**EXAMPLE["facts"], "birth_date": "9999-12-31"}},
                ["body", "facts", "birth_date"],
                id="birth-date-9999",
            ),
            pytest.param(
                {"facts": {**EXAMPLE["facts"], "alg1": {"claim_start_date": "9999-12-31"}}},
                ["body", "facts", "alg1", "claim_start_date"],
                id="claim-start-9999",
            ),
        ],
    )
    async def test_out_of_range_day_is_refused(
        self,
        client: httpx.AsyncClient,
        issuer: DevIssuer,
        change: dict[str, Any],
        loc: list[str],
    ) -> None:
        response = await client.post(CHECKS, json={**EXAMPLE, **change}, headers=auth(issuer))

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in response.json()["errors"]] == [loc]

    async def test_the_last_day_of_the_range_is_decided(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        response = await client.post(
            CHECKS, json={**EXAMPLE, "as_of": "2100-12-31"}, headers=auth(issuer)
        )

        assert response.status_code == 201, response.text


class TestReadCheck:
    async def test_returns_the_decision_unchanged(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        case_id = str(uuid.uuid4())
        created = await client.post(
            CHECKS, json={**EXAMPLE, "case_id": case_id}, headers=auth(issuer)
        )

        response = await client.get(created.headers["location"], headers=auth(issuer))

        assert response.status_code == 200
        assert response.json() == created.json()
        assert response.json()["case_id"] == case_id

    async def test_another_org_gets_404(self, client: httpx.AsyncClient, issuer: DevIssuer) -> None:
        created = await client.post(CHECKS, json=EXAMPLE, headers=auth(issuer))

        response = await client.get(
            created.headers["location"], headers=auth(issuer, "jobcenter-muenster")
        )

        assert response.status_code == 404
        assert response.json()["type"].endswith("not-found")

    async def test_unknown_id_is_404(self, client: httpx.AsyncClient, issuer: DevIssuer) -> None:
        response = await client.get(f"{CHECKS}/{uuid.uuid4()}", headers=auth(issuer))

        assert response.status_code == 404

    async def test_write_scope_alone_cannot_read(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        created = await client.post(CHECKS, json=EXAMPLE, headers=auth(issuer))

        response = await client.get(
            created.headers["location"],
            headers=auth(issuer, "agentur-hagen", "eligibility:write"),
        )

        assert response.status_code == 403


class TestRules:
    async def test_lists_versions_with_validity_and_sources(
        self, client: httpx.AsyncClient, issuer: DevIssuer
    ) -> None:
        response = await client.get("/v1/rules", headers=auth(issuer))

        assert response.status_code == 200
        items = response.json()["items"]
        assert [i["version"] for i in items] == [
            "sgb2-alg2-2020",
            "sgb2-buergergeld-2023",
            "sgb2-grundsicherung-2026",
        ]
        assert items[1]["valid_from"] == "2023-01-01"
        assert items[1]["valid_to"] == "2026-06-30"
        assert items[2]["valid_to"] is None
        assert all(i["sources"] for i in items)


class TestOpenApi:
    async def test_every_operation_is_documented(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()

        for path in (CHECKS, f"{CHECKS}/{{check_id}}", "/v1/rules"):
            for operation in spec["paths"][path].values():
                assert operation["summary"]
                assert operation["description"]
                assert operation["operationId"]
                assert {"401", "403"} <= set(operation["responses"])
        post = spec["paths"][CHECKS]["post"]
        assert set(post["requestBody"]["content"]["application/json"]["examples"]) == set(
            CHECK_EXAMPLES
        )
        assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
        assert post["operationId"] == "create_eligibility_check"
