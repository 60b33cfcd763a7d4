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
