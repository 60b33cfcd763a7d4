"""Webhook subscriptions over HTTP: create with a one-time secret, read, list, delete."""

from __future__ import annotations

import base64
import uuid

from tests.integration.notifications.conftest import AGENCY, JOBCENTER, Harness

BODY = {"url": "http://127.0.0.1:9000/hooks", "event_types": ["case.transferred"]}


class TestCreateSubscription:
    async def test_returns_id_and_a_whsec_secret_once(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/subscriptions",
            json={**BODY, "description": "inbound"},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"/v1/subscriptions/{body['id']}"
        assert body["secret"].startswith("whsec_")
        assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
        assert body["event_types"] == ["case.transferred"]

        again = await harness.client.get(
            f"/v1/subscriptions/{body['id']}", headers=harness.auth(JOBCENTER)
        )
        assert again.status_code == 200
        assert "secret" not in again.json()

    async def test_unknown_topic_is_a_validation_problem(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/subscriptions",
            json={**BODY, "event_types": ["case.deleted"]},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_url_with_credentials_is_refused(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/subscriptions",
            json={**BODY, "url": "http://u:p@127.0.0.1/x"},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("invalid-webhook-url")

    async def test_extra_fields_are_refused(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/subscriptions", json={**BODY, "org": AGENCY}, headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 422

    async def test_idempotency_key_replays_the_first_result(self, harness: Harness) -> None:
        headers = {**harness.auth(JOBCENTER), "Idempotency-Key": "k-1"}
        first = await harness.client.post("/v1/subscriptions", json=BODY, headers=headers)
        second = await harness.client.post("/v1/subscriptions", json=BODY, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json()["id"] == first.json()["id"]
        assert second.headers["idempotent-replayed"] == "true"
        other = await harness.client.post(
            "/v1/subscriptions", json={**BODY, "description": "x"}, headers=headers
        )
        assert other.status_code == 422

    async def test_needs_the_write_scope(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/subscriptions", json=BODY, headers=harness.auth(JOBCENTER, ["subscriptions:read"])
        )
        assert response.status_code == 403

    async def test_needs_a_token(self, harness: Harness) -> None:
        response = await harness.client.post("/v1/subscriptions", json=BODY)
        assert response.status_code == 401


class TestReadSubscriptions:
    async def test_another_org_gets_404(self, harness: Harness) -> None:
        created = await harness.subscribe(JOBCENTER, ["case.transferred"])
        response = await harness.client.get(
            f"/v1/subscriptions/{created['id']}", headers=harness.auth(AGENCY)
        )
        assert response.status_code == 404
        deleted = await harness.client.delete(
            f"/v1/subscriptions/{created['id']}", headers=harness.auth(AGENCY)
        )
        assert deleted.status_code == 404

    async def test_list_pages_with_a_cursor_and_sees_own_org_only(self, harness: Harness) -> None:
        ids = {(await harness.subscribe(JOBCENTER, ["case.transferred"]))["id"] for _ in range(5)}
        await harness.subscribe(AGENCY, ["case.transferred"])
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            response = await harness.client.get(
                "/v1/subscriptions", params=params, headers=harness.auth(JOBCENTER)
            )
            assert response.status_code == 200
            page = response.json()
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert len(seen) == 5
        assert set(seen) == ids

    async def test_garbage_cursor_is_a_400_problem(self, harness: Harness) -> None:
        response = await harness.client.get(
            "/v1/subscriptions", params={"cursor": "bm9wZQ"}, headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 400

    async def test_unknown_id_is_404(self, harness: Harness) -> None:
        response = await harness.client.get(
            f"/v1/subscriptions/{uuid.uuid4()}", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 404


class TestDeleteSubscription:
    async def test_deleted_subscription_disappears(self, harness: Harness) -> None:
        created = await harness.subscribe(JOBCENTER, ["case.transferred"])
        path = f"/v1/subscriptions/{created['id']}"
        deleted = await harness.client.delete(path, headers=harness.auth(JOBCENTER))
        assert deleted.status_code == 204
        assert (await harness.client.get(path, headers=harness.auth(JOBCENTER))).status_code == 404
        listed = await harness.client.get("/v1/subscriptions", headers=harness.auth(JOBCENTER))
        assert listed.json()["items"] == []


class TestOpenApi:
    async def test_operations_have_ids_and_scopes_are_documented(self, harness: Harness) -> None:
        spec = (await harness.client.get("/openapi.json")).json()
        operation_ids = {
            op["operationId"] for path in spec["paths"].values() for op in path.values()
        }
        assert {
            "create_subscription",
            "list_subscriptions",
            "get_subscription",
            "delete_subscription",
            "enable_subscription",
            "list_deliveries",
            "get_delivery",
            "redeliver_delivery",
            "list_info_sessions",
            "create_info_session",
            "list_invitations",
        } <= operation_ids
