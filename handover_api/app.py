"""handover_api: cases, documents, integration plans and handovers."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI

from handover_api.adapters.audit_trail import SEAL_BATCH
from handover_api.adapters.blobstore import FileBlobStore
from handover_api.adapters.metrics import handover_gauges
from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.api import (
    asylum,
    audit,
    cases,
    disclosures,
    documents,
    handovers,
    joint,
    organisations,
    reference,
)
from handover_api.consumers import consumer_groups
from handover_api.domain.errors import (
    ActiveHandoverExists,
    CaseNotWritable,
    DocumentRejected,
    DuplicateKundennummer,
    DuplicateMeasure,
    HandoverAlreadyTransferred,
    HandoverNotTransferred,
    InvalidLead,
    InvalidTarget,
    JointCaseActive,
    MunicipalityUnknown,
    NotJointCase,
    ReviewTooLate,
    TransitionNotAllowed,
    UnknownOrganisation,
    UnknownPlanItem,
    WrongLocalJobcenter,
)
from handover_api.settings import HandoverSettings
from handover_api.state import HandoverState
from handover_api.use_cases.asylum import transfer_due
from handover_api.use_cases.handovers import TransferContext, escalate_overdue
from shared.cli import Mode, settings_for_mode, worker_pool_size
from shared.db.advisory import AdvisoryLock
from shared.db.base import utcnow
from shared.jobs import PeriodicJob
from shared.messaging.port import Publisher
from shared.problems import ProblemSpec
from shared.runtime import JobFactory, Runtime, start_runtime
from shared.web import build_app, install_state

PROBLEMS: dict[type[Exception], ProblemSpec] = {
    TransitionNotAllowed: ProblemSpec(409, "transition-not-allowed", "Step not allowed now"),
    HandoverAlreadyTransferred: ProblemSpec(
        409, "handover-already-transferred", "The case was already transferred"
    ),
    HandoverNotTransferred: ProblemSpec(
        409, "handover-not-transferred", "Something still blocks the transfer"
    ),
    ActiveHandoverExists: ProblemSpec(409, "active-handover-exists", "Case has an active handover"),
    UnknownOrganisation: ProblemSpec(422, "unknown-organisation", "Unknown organisation"),
    InvalidTarget: ProblemSpec(422, "invalid-target", "Invalid target organisation"),
    WrongLocalJobcenter: ProblemSpec(
        422, "wrong-local-jobcenter", "The Jobcenter does not serve the person's municipality"
    ),
    MunicipalityUnknown: ProblemSpec(
        422, "municipality-unknown", "The case has no municipality of residence"
    ),
    DocumentRejected: ProblemSpec(422, "document-rejected", "Document rejected"),
    CaseNotWritable: ProblemSpec(409, "case-not-writable", "Case is read-only for the caller"),
    DuplicateKundennummer: ProblemSpec(
        409, "duplicate-kundennummer", "A case with this Kundennummer exists"
    ),
    DuplicateMeasure: ProblemSpec(409, "duplicate-measure", "The measure is in the plan already"),
    UnknownPlanItem: ProblemSpec(422, "unknown-plan-item", "No such goal or measure in the plan"),
    JointCaseActive: ProblemSpec(409, "joint-case-active", "The case is worked jointly"),
    NotJointCase: ProblemSpec(409, "not-joint-case", "The case is not a joint case"),
    InvalidLead: ProblemSpec(422, "invalid-lead", "The lead must be one of the two organisations"),
    ReviewTooLate: ProblemSpec(
        422, "review-too-late", "The next review is due within three months (§ 37 SGB III)"
    ),
}

DESCRIPTION = """
Owns case records, documents, integration plans and handovers between the
Agentur für Arbeit (SGB III) and the Jobcenter (SGB II).

A handover transfers **by itself** once the legal trigger is recorded, eligibility
confirmed the target and every mandatory document is present (or waived). The receiver
then gets `case.transferred` with a signed manifest (see `GET /v1/manifest-keys`).

Auth: OAuth2 client-credentials bearer JWT with `org` and `scope` claims. An organisation
sees only what it owns or what was handed to it; anything else answers 404.
"""


def overdue_check(settings: HandoverSettings) -> JobFactory:
    """Raise `handover.overdue` for transferred handovers past their deadline (one replica)."""

    def make(runtime: Runtime) -> PeriodicJob:
        # The key file the API signs with; a roll reaches every process at its next signature.
        signer = ManifestSigner(settings.MANIFEST_KEY_PATH)

        async def escalate() -> int:
            async with HandoverUnitOfWork(
                runtime.sessions,
                runtime.outbox_signal,
                audit_signer=signer,
                audit_checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY,
            ) as uow:
                count = await escalate_overdue(uow, utcnow())
                await uow.commit()
            return count

        return PeriodicJob(
            "handover-overdue",
            escalate,
            interval_seconds=settings.OVERDUE_CHECK_INTERVAL_SECONDS,
            lock=AdvisoryLock(runtime.engine, "handover-overdue"),
        )

    return make


def audit_sealer(settings: HandoverSettings) -> JobFactory:
    """Chain the audit records waiting in `audit_pending` (one replica)."""

    def make(runtime: Runtime) -> PeriodicJob:
        signer = ManifestSigner(settings.MANIFEST_KEY_PATH)

        async def seal_waiting() -> int:
            async with HandoverUnitOfWork(
                runtime.sessions,
                audit_signer=signer,
                audit_checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY,
            ) as uow:
                sealed = await uow.audit.seal(SEAL_BATCH)
                await uow.commit()
            return sealed

        return PeriodicJob(
            "audit-seal",
            seal_waiting,
            interval_seconds=settings.AUDIT_SEAL_INTERVAL_SECONDS,
            lock=AdvisoryLock(runtime.engine, "audit-seal"),
            batch_size=SEAL_BATCH,
        )

    return make


def dated_transfers(settings: HandoverSettings, context: TransferContext) -> JobFactory:
    """Transfer handovers dated by eligibility once their day has come (one replica)."""

    def make(runtime: Runtime) -> PeriodicJob:
        async def move_on() -> int:
            async with HandoverUnitOfWork(
                runtime.sessions,
                runtime.outbox_signal,
                audit_signer=context.signer,
                audit_checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY,
            ) as uow:
                count = await transfer_due(uow, context)
                await uow.commit()
            return count

        return PeriodicJob(
            "handover-dated-transfer",
            move_on,
            interval_seconds=settings.OVERDUE_CHECK_INTERVAL_SECONDS,
            lock=AdvisoryLock(runtime.engine, "handover-dated-transfer"),
        )

    return make


def create_app(
    settings: HandoverSettings | None = None,
    *,
    publisher: Publisher | None = None,
    mode: Mode = "serve",
) -> FastAPI:
    """Build the app; connections open in the lifespan, not here.

    `mode` (`shared.cli`): "api" serves the routes without relay, consumers or jobs;
    "worker" runs those with health and metrics only; "serve" does both.
    """
    # One consumer group (eligibility.determined); the overdue check, the dated transfers
    # and the audit sealer run under a lock each.
    pool = worker_pool_size(consumer_groups=1, locked_jobs=3)
    settings = settings_for_mode(settings or HandoverSettings(), mode, worker_pool=pool)
    jobs: list[JobFactory] = (
        [] if mode == "api" else [overdue_check(settings), audit_sealer(settings)]
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        signer = ManifestSigner(settings.MANIFEST_KEY_PATH)
        context = TransferContext(
            signer=signer,
            public_base_url=settings.base_url,
            accept_deadline=timedelta(days=settings.ACCEPT_DEADLINE_DAYS),
        )
        async with start_runtime(
            settings,
            uow_class=functools.partial(
                HandoverUnitOfWork,
                audit_signer=signer,
                audit_checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY,
            ),
            consumer_groups=consumer_groups(context),
            jobs=jobs if mode == "api" else [*jobs, dated_transfers(settings, context)],
            publisher=publisher,
            gauges=[] if mode == "api" else [lambda runtime: handover_gauges(runtime.engine)],
        ) as runtime:
            install_state(
                app,
                HandoverState(
                    runtime=runtime,
                    settings=settings,
                    make_uow=lambda: HandoverUnitOfWork(
                        runtime.sessions,
                        runtime.outbox_signal,
                        audit_signer=signer,
                        audit_checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY,
                    ),
                    blobs=FileBlobStore(settings.BLOB_DIR),
                    signer=signer,
                    transfer=context,
                ),
            )
            yield

    return build_app(
        settings,
        title="Handover broker: handover_api" + (" (worker)" if mode == "worker" else ""),
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        routers=[]
        if mode == "worker"
        else [
            cases.router,
            documents.router,
            handovers.router,
            organisations.router,
            reference.router,
            asylum.router,
            audit.router,
            disclosures.router,
            joint.router,
        ],
        problems=PROBLEMS,
    )
