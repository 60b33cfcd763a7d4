"""Deliveries over HTTP: filters, pagination, detail with attempts, redelivery."""

from __future__ import annotations

from tests.integration.notifications.conftest import AGENCY, JOBCENTER, Harness, transferred


class TestListDeliveries:
    async def test_filters_by_status_and_event_type(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred", "transition.upcoming"])
        for _ in range(3):
            await harness.consume(transferred())
        harness.receiver.statuses[:] = [200, 500, 500]
        await harness.worker().run_once()

        async def count(**params: str) -> int:
            response = await harness.client.get(
                "/v1/deliveries", params=params, headers=harness.auth(JOBCENTER)
            )
            assert response.status_code == 200
            return len(response.json()["items"])

        assert await count() == 3
        assert await count(status="succeeded") == 1
        assert await count(status="pending") == 2
        assert await count(event_type="case.transferred") == 3
        assert await count(event_type="de.handover.case.transferred.v1") == 3
        assert await count(event_type="handover.accepted") == 0

    async def test_unknown_status_is_a_validation_problem(self, harness: Harness) -> None:
        response = await harness.client.get(
            "/v1/deliveries", params={"status": "lost"}, headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 422

    async def test_pages_with_a_cursor(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        for _ in range(5):
            await harness.consume(transferred())
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 2}
        while True:
            page = (
                await harness.client.get(
                    "/v1/deliveries", params=params, headers=harness.auth(JOBCENTER)
                )
            ).json()
            seen += [d["id"] for d in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 5


class TestRedeliver:
    async def test_failed_delivery_is_sent_again_with_the_same_webhook_id(
        self, harness: Harness
    ) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        harness.receiver.statuses[:] = [500, 500, 500]
        worker = harness.worker()
        for _ in range(3):
            await worker.run_once()
        [failed] = (
            await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        ).json()["items"]
        assert failed["status"] == "failed"

        response = await harness.client.post(
            f"/v1/deliveries/{failed['id']}/redeliver", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 202
        assert response.json()["status"] == "pending"
        await worker.run_once()

        detail = (
            await harness.client.get(
                f"/v1/deliveries/{failed['id']}", headers=harness.auth(JOBCENTER)
            )
        ).json()
        assert detail["status"] == "succeeded"
        assert [a["status_code"] for a in detail["attempts"]] == [500, 500, 500, 200]
        assert {r.headers["webhook-id"] for r in harness.receiver.requests} == {failed["id"]}

    async def test_in_flight_delivery_cannot_be_redelivered(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        assert await harness.worker()._claim_due()
        [delivery] = (
            await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        ).json()["items"]
        response = await harness.client.post(
            f"/v1/deliveries/{delivery['id']}/redeliver", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 409

    async def test_redeliver_to_a_deleted_subscription_conflicts(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        await harness.client.delete(
            f"/v1/subscriptions/{sub['id']}", headers=harness.auth(JOBCENTER)
        )
        [delivery] = (
            await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        ).json()["items"]
        response = await harness.client.post(
            f"/v1/deliveries/{delivery['id']}/redeliver", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 409

    async def test_needs_the_write_scope(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        [delivery] = (
            await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        ).json()["items"]
        response = await harness.client.post(
            f"/v1/deliveries/{delivery['id']}/redeliver",
            headers=harness.auth(JOBCENTER, ["deliveries:read"]),
        )
        assert response.status_code == 403
        assert (await harness.client.get("/v1/deliveries", headers=harness.auth(AGENCY))).json()[
            "items"
        ] == []
