"""``qrunner history import REPORT.json...``: backfill the store from archived JSON reports.

A report becomes exactly the rows the run would have recorded live (both go through
:func:`qrunner.history.rows.rows_from_report`), in one file named by its content, so
importing a report twice, or one whose run already recorded itself, adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qrunner.errors import HistoryError
from qrunner.history.rows import rows_from_report
from qrunner.history.store import append_rows

MAX_REPORT_BYTES = 256 * 1024 * 1024  # a JSON report larger than this is not one of ours


@dataclass(slots=True)
class ImportSummary:
    files: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)  # already recorded


def _read_report(path: Path) -> dict[str, object]:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise HistoryError(f"{path}: larger than {MAX_REPORT_BYTES >> 20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise HistoryError(f"{path}: cannot read: {e.strerror}") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HistoryError(f"{path}: not a JSON report: {e}") from e
    if not isinstance(data, dict) or data.get("version") != 1 or "specs" not in data:
        raise HistoryError(f"{path}: not a qrunner JSON report (version 1)")
    return data


def import_reports(paths: Sequence[Path], directory: Path) -> ImportSummary:
    """Append each report's rows; every report is read before anything is written."""
    reports = [(path, _read_report(path)) for path in paths]
    summary = ImportSummary()
    for path, report in reports:
        rows = rows_from_report(report)
        run_id = str(report.get("run_id") or report.get("started_at") or path.stem)
        appended = append_rows(directory, run_id, rows)
        if appended.path is None:
            summary.skipped.append(str(path))
        else:
            summary.files += 1
            summary.rows += appended.rows
    return summary
