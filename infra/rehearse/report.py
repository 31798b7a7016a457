"""Steps with timings, printed as they finish, and the summary line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
MAX_DETAIL = 400


class Skip(Exception):
    """Raised inside a step: the step does not apply (the reason is printed)."""


@dataclass
class StepResult:
    """One step of one model."""

    model: str
    step: str
    status: str
    seconds: float
    detail: str


@dataclass
class Note:
    """What a step says about itself when it passes."""

    detail: str = ""


@dataclass
class Report:
    """Every step result, printed as it is recorded."""

    results: list[StepResult] = field(default_factory=list)
    failed_models: set[str] = field(default_factory=set)

    def record(self, result: StepResult) -> None:
        """Keep and print one result."""
        self.results.append(result)
        detail = (
            result.detail if len(result.detail) <= MAX_DETAIL else result.detail[: MAX_DETAIL - 3] + "..."
        )
        print(
            f"[rehearse] {result.status} {result.model:<11} {result.step:<34} {result.seconds:6.1f} s  {detail}",
            flush=True,
        )

    @contextmanager
    def step(self, model: str, name: str) -> Iterator[Note]:
        """Time one step; an exception fails it (naming the step and the model), Skip skips it.

        After a failed step, the model's later steps are skipped.
        """
        note = Note()
        if model in self.failed_models:
            self.record(StepResult(model, name, SKIP, 0.0, "an earlier step of this model failed"))
            raise Skip("after failure")
        started = time.monotonic()
        try:
            yield note
        except Skip as exc:
            self.record(StepResult(model, name, SKIP, time.monotonic() - started, str(exc)))
            raise
        except Exception as exc:  # every failure is reported with its step and model
            self.failed_models.add(model)
            message = f"step {name!r} of model {model!r} failed: {exc.__class__.__name__}: {exc}"
            self.record(StepResult(model, name, FAIL, time.monotonic() - started, message))
            raise Skip(message) from None
        self.record(StepResult(model, name, PASS, time.monotonic() - started, note.detail))

    def summary(self, seconds: float) -> str:
        """``N passed, N failed, N skipped in T s``."""
        count = {s: sum(1 for r in self.results if r.status == s) for s in (PASS, FAIL, SKIP)}
        line = f"{count[PASS]} passed, {count[FAIL]} failed, {count[SKIP]} skipped in {seconds:.1f} s"
        failed = [f"{r.model}: {r.step}" for r in self.results if r.status == FAIL]
        return line + (f" (failed: {'; '.join(failed)})" if failed else "")
