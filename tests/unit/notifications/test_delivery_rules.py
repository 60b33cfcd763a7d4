"""Retry rule and event routing of webhook deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from notifications_api.domain.deliveries import (
    DeliveryStatus,
    RetryPolicy,
    SendResult,
    after_attempt,
    is_gone,
    is_success,
    settle_attempt,
)
from notifications_api.domain.routing import DELIVERABLE_TOPICS, recipient_orgs
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
)
from shared.events.transition import TransitionUpcomingV1

NOW = datetime(2026, 1, 30, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, schedule_seconds=(5.0, 60.0))
CASE, HANDOVER = uuid.uuid4(), uuid.uuid4()


class TestRetryPolicy:
    def test_success_ends_the_delivery(self) -> None:
        outcome = after_attempt(POLICY, 1, True, NOW)
        assert outcome.status is DeliveryStatus.SUCCEEDED
        assert outcome.next_attempt_at is None

    def test_failures_back_off_along_the_schedule_and_repeat_its_last_delay(self) -> None:
        delays = [after_attempt(POLICY, n, False, NOW).next_attempt_at for n in (1, 2, 3)]
        assert delays == [NOW + timedelta(seconds=s) for s in (5, 60, 60)]

    def test_last_allowed_failure_fails_the_delivery(self) -> None:
        outcome = after_attempt(POLICY, 4, False, NOW)
        assert outcome.status is DeliveryStatus.FAILED
        assert outcome.next_attempt_at is None

    @pytest.mark.parametrize(
        ("code", "ok"), [(200, True), (204, True), (299, True), (301, False), (500, False)]
    )
    def test_only_2xx_counts(self, code: int, ok: bool) -> None:
        assert is_success(code) is ok

    def test_no_response_is_no_success(self) -> None:
        assert not is_success(None)


def answered(status_code: int | None, error: str | None = None) -> SendResult:
    return SendResult(status_code, error, 12.0)


class TestSettleAttempt:
    def test_410_fails_the_delivery_and_disables_an_active_subscription(self) -> None:
        outcome = settle_attempt(
            POLICY, 1, answered(410, "http_410"), NOW, subscription_stopped=None
        )
        assert outcome.status is DeliveryStatus.FAILED
        assert outcome.disables_subscription
        assert (outcome.next_attempt_at, outcome.error) == (None, "http_410")

    def test_410_to_a_subscription_stopped_meanwhile_disables_nothing_more(self) -> None:
        outcome = settle_attempt(
            POLICY, 1, answered(410, "http_410"), NOW, subscription_stopped="subscription_disabled"
        )
        assert outcome.status is DeliveryStatus.FAILED
        assert not outcome.disables_subscription

    def test_failure_after_the_subscription_stopped_is_final_and_says_why(self) -> None:
        outcome = settle_attempt(
            POLICY, 1, answered(500, "http_500"), NOW, subscription_stopped="subscription_disabled"
        )
        assert (outcome.status, outcome.error) == (DeliveryStatus.FAILED, "subscription_disabled")

    def test_success_counts_even_if_the_subscription_stopped_meanwhile(self) -> None:
        outcome = settle_attempt(
            POLICY, 1, answered(204), NOW, subscription_stopped="subscription_deleted"
        )
        assert outcome.status is DeliveryStatus.SUCCEEDED

    def test_other_failures_follow_the_retry_policy(self) -> None:
        retry = settle_attempt(POLICY, 1, answered(None, "timeout"), NOW, subscription_stopped=None)
        assert (retry.status, retry.next_attempt_at) == (
            DeliveryStatus.PENDING,
            NOW + timedelta(seconds=5),
        )
        assert retry.error == "timeout"
        assert not retry.disables_subscription
        last = settle_attempt(POLICY, 4, answered(503, "http_503"), NOW, subscription_stopped=None)
        assert (last.status, last.error) == (DeliveryStatus.FAILED, "http_503")

    @pytest.mark.parametrize(("code", "gone"), [(410, True), (404, False), (None, False)])
    def test_only_410_means_gone(self, code: int | None, gone: bool) -> None:
        assert is_gone(code) is gone


class TestRouting:
    def test_transfer_goes_to_both_organisations(self) -> None:
        event = CaseTransferredV1(
            case_id=CASE,
            handover_id=HANDOVER,
            from_org="agentur-hagen",
            to_org="jobcenter-ennepe-ruhr",
            reason="ALG1_EXHAUSTED",
            legal_domain_from="SGB_III",
            legal_domain_to="SGB_II",
            transferred_at=NOW,
            integration_plan=None,
            documents=(),
            manifest_signature="sig",
        )
        assert recipient_orgs(event) == ("jobcenter-ennepe-ruhr", "agentur-hagen")

    def test_request_is_announced_to_the_receiver_only(self) -> None:
        event = HandoverRequestedV1(
            case_id=CASE,
            handover_id=HANDOVER,
            reason="ALG1_EXHAUSTED",
            from_org="agentur-hagen",
            to_org="jobcenter-ennepe-ruhr",
            legal_domain_from="SGB_III",
            legal_domain_to="SGB_II",
            transfer_date=date(2026, 5, 1),
            requested_at=NOW,
            facts=EligibilityFactsV1(),
        )
        assert recipient_orgs(event) == ("jobcenter-ennepe-ruhr",)

    @pytest.mark.parametrize(
        "event",
        [
            HandoverAcceptedV1(
                case_id=CASE, handover_id=HANDOVER, from_org="a", to_org="b", accepted_at=NOW
            ),
            HandoverRejectedV1(
                case_id=CASE,
                handover_id=HANDOVER,
                from_org="a",
                to_org="b",
                reason_code="NOT_HILFEBEDUERFTIG",
                rejected_at=NOW,
            ),
            HandoverOverdueV1(
                case_id=CASE, handover_id=HANDOVER, from_org="a", to_org="b", due_at=NOW
            ),
        ],
    )
    def test_outcomes_go_to_both_organisations(
        self, event: HandoverAcceptedV1 | HandoverRejectedV1 | HandoverOverdueV1
    ) -> None:
        assert set(recipient_orgs(event)) == {"a", "b"}

    def test_transition_goes_to_the_owner(self) -> None:
        event = TransitionUpcomingV1(
            case_id=CASE,
            owner_org="agentur-hagen",
            municipality="Witten",
            alg1_end_date=date(2026, 4, 30),
            invitation_date=date(2026, 1, 30),
            scheduled_at=NOW,
        )
        assert recipient_orgs(event) == ("agentur-hagen",)

    def test_every_deliverable_topic_is_a_registered_event(self) -> None:
        from shared.events.registry import BY_TOPIC

        assert set(DELIVERABLE_TOPICS) <= set(BY_TOPIC)
