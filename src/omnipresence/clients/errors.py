"""Expected failures of client identity, consent and merges, each with a stable code."""

from omnipresence.core.errors import Conflict, InvalidInput, NotFound


class ClientNotFound(NotFound):
    code = "client_not_found"
    default_message = "There is no such client."


class UnknownPurpose(InvalidInput):
    code = "unknown_purpose"
    default_message = "That is not a consent purpose."


class ClientMerged(Conflict):
    code = "client_merged"
    default_message = "This client has been merged into another one."


class ClientErased(Conflict):
    code = "client_erased"
    default_message = "This client's data has been erased."


class ConflictingIdentities(Conflict):
    code = "conflicting_identities"
    default_message = (
        "Both clients have a verified identifier of the same kind: they are not the same person."
    )


class MergeTooOld(Conflict):
    code = "merge_too_old"
    default_message = "A merge can be undone only within 30 days."


class MergeUndone(Conflict):
    code = "merge_undone"
    default_message = "This merge has already been undone."
