"""Domain errors of the handover context (no HTTP here; the mapping lives in the app)."""

from __future__ import annotations


class HandoverError(Exception):
    """Base for expected handover-domain errors."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class TransitionNotAllowed(HandoverError):
    """The handover is not in a status that allows this step."""


class ActiveHandoverExists(HandoverError):
    """The case already has an active handover."""


class UnknownOrganisation(HandoverError):
    """The target organisation is not known to the broker."""


class InvalidTarget(HandoverError):
    """The target organisation cannot receive this handover."""


class DocumentRejected(HandoverError):
    """The uploaded document is empty, too large or of an unaccepted type."""


class CaseNotWritable(HandoverError):
    """The caller may read but not change this case (e.g. the source after transfer)."""


class DuplicateKundennummer(HandoverError):
    """The organisation already created a case with this Kundennummer."""

    def __init__(self, detail: str, *, existing_case_id: object) -> None:
        super().__init__(detail)
        self.existing_case_id = existing_case_id


class DuplicateMeasure(HandoverError):
    """The plan would hold one measure twice (same type and cost bearer, overlapping period)."""

    def __init__(self, detail: str, *, existing_measure_id: object) -> None:
        super().__init__(detail)
        self.existing_measure_id = existing_measure_id
        # RFC 9457 extension member: which measure the plan holds already.
        self.problem_extensions: dict[str, str | None] = {
            "existing_measure_id": str(existing_measure_id)
        }


class UnknownPlanItem(HandoverError):
    """A goal or measure id that the current integration plan does not hold."""


class HandoverAlreadyTransferred(TransitionNotAllowed):
    """The step is only possible before the transfer, and the case was already transferred."""


class HandoverNotTransferred(TransitionNotAllowed):
    """The step needs the transfer, and something still blocks it (the detail names what)."""


class WrongLocalJobcenter(InvalidTarget):
    """The receiving Jobcenter does not serve the person's municipality (§ 36 SGB II)."""

    def __init__(self, detail: str, *, competent_org: str | None) -> None:
        super().__init__(detail)
        self.competent_org = competent_org
        # RFC 9457 extension members of the problem document.
        self.problem_extensions: dict[str, str | None] = {"competent_org": competent_org}


class MunicipalityUnknown(InvalidTarget):
    """The case records no municipality of residence, so local competence cannot be checked."""


class JointCaseActive(TransitionNotAllowed):
    """The case is worked jointly (U25): end the joint case before another handover."""


class NotJointCase(TransitionNotAllowed):
    """The step needs a joint case, and the case is worked by one organisation."""


class InvalidLead(HandoverError):
    """The lead of a joint case must be one of its two organisations."""


class ReviewTooLate(HandoverError):
    """The next plan review lies more than three months after the conference (§ 37 SGB III)."""
