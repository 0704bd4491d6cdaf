"""The run's last phase, in an order that keeps a verdict safe: the reports are written, then
the ticks are settled, then the history is recorded and the results are published, and only
then are notifications sent (``--notify``). Nothing done here changes the exit code, except a
report that could not be written (a gate whose report is missing has not passed) and a
notification not delivered when the gates passed (exit 5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from qrunner.errors import ExitCode
from qrunner.judge.outcomes import RunResult, SpecOutcome, exit_code_for
from qrunner.reports.output import ReportRequest, write_reports
from qrunner.run.history_hooks import RunHistory, attach_trends, finish_history
from qrunner.run.notify_step import NotifyRequest
from qrunner.schedule.pairs import Batch


@dataclass(frozen=True, slots=True)
class Conclusion:
    """What the run's options ask of its last phase."""

    reports: Sequence[ReportRequest]
    fail_on: str
    environ: Mapping[str, str]
    interactive: bool
    publish: str | None
    application_id: str | None
    deadline: float | None
    notify: NotifyRequest | None = None


def conclude_run(
    run: RunResult, batch: Batch, outcomes: Sequence[SpecOutcome], history: RunHistory | None,
    conclusion: Conclusion, *, stdout: TextIO, stderr: TextIO,
) -> int:  # fmt: skip
    """Report, settle, record, publish; the run's exit code."""
    attach_trends(run, history)
    try:
        unwritten = write_reports(
            run,
            conclusion.reports,
            environ=conclusion.environ,
            interactive=conclusion.interactive,
            stdout=stdout,
            stderr=stderr,
        )
    except BaseException:
        batch.release(outcomes)
        raise
    if unwritten:
        batch.release(outcomes)
    else:
        batch.commit(outcomes)  # only now, with the reports written, are the ticks done
    finish_history(run, history, stderr=stderr)
    if conclusion.publish:
        from qrunner.run.publish import publish_run

        publish_run(
            run,
            application_id=conclusion.application_id,
            environ=conclusion.environ,
            stderr=stderr,
            deadline=conclusion.deadline,
        )
    code = exit_code_for(run, fail_on=conclusion.fail_on)
    if unwritten and code is not ExitCode.INTERNAL_ERROR:
        code = ExitCode.SPEC_ERROR
    if conclusion.notify is not None:
        from qrunner.reports.json_report import report_data
        from qrunner.run.notify_step import notify_after_run

        return notify_after_run(
            report_data(run),
            conclusion.notify,
            conclusion.reports,
            conclusion.environ,
            int(code),
            stderr=stderr,
        )
    return int(code)
