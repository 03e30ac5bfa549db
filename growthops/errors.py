"""The domain errors every service raises. Views, the API and admin turn them into messages."""


class DomainError(Exception):
    """A refused action, with a message meant for the person who asked.

    ``items``, when set, lists the problems one by one for the API (``{"row" | "index", "field",
    "message"}``: an upload's rows, a batch's events); ``growthops.problems`` shows them."""

    items: list[dict] | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotPermitted(DomainError):
    """The actor's role (or relation to the object) does not allow this action."""


class TransitionNotAllowed(DomainError):
    """The experiment is not in a status from which this lifecycle step may run."""


class OverrideRequired(TransitionNotAllowed):
    """A step that goes against the plan or the verdict, asked for without a reason to
    override; ``missing`` names what it goes against (the planned sample, the days, the
    verdict)."""

    def __init__(self, message: str, missing: list[str], statement: str = ""):
        super().__init__(message)
        self.missing = list(missing)
        # What the call goes against, without the API's instruction (for the pages' forms).
        self.statement = statement or message


class ValidationFailed(DomainError):
    """Input is incomplete or inconsistent; ``errors`` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str | list[str]], message: str | None = None):
        self.errors = {field: _as_list(problem) for field, problem in errors.items()}
        if message is None:
            message = "; ".join(
                f"{field}: {', '.join(probs)}" for field, probs in self.errors.items()
            )
        super().__init__(message)


def _as_list(problem: str | list[str]) -> list[str]:
    return [problem] if isinstance(problem, str) else list(problem)
