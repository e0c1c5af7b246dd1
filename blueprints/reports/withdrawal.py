"""Withdrawing report files that may name a person who was erased (GDPR art. 17, docs/operations.md).

A report's file is a copy of people's records made on the day it ran: erasing someone rewrites the database but
not the files already made. So an erasure withdraws, in its transaction, the file of every finished report whose
rows may include that person (`may_name`): the file is deleted, the report is `withdrawn` with the reason, and
its download answers 410 `REPORT_WITHDRAWN`; running it again makes a copy without them. A report running at
that moment is marked too (its rows may have been read before), and its job withdraws the file it stores
instead of offering it (`generation.generate_report`, a conditional UPDATE on `withdrawn_reason`).
"""

import sqlalchemy as sa

from app.extensions import db
from app.storage import delete_after_commit
from blueprints.reports.kinds import KINDS
from blueprints.reports.models import Report, ReportStatus

WITHDRAWN_DOWNLOAD = "This report was withdrawn: {reason}"


def may_name(kind_name, params, user_id):
    """Whether a report of this kind and parameters may list this person: every kind with a row per person,
    unless its `user_id` parameter is someone else (when in doubt, yes: a branch or course filter is judged on
    today's memberships, not the day it ran)."""
    kind = KINDS.get(kind_name)
    if kind is not None and not kind.names_people:
        return False
    chosen = (params or {}).get("user_id")
    return chosen in (None, "") or str(chosen) == str(user_id)


def withdraw_reports_naming(user_id, reason):
    """Withdraw the files of the finished reports that may name this person, and mark those running; returns how
    many were withdrawn or marked. In the caller's transaction (the caller commits)."""
    waiting = (ReportStatus.RUNNING, ReportStatus.DONE)
    rows = db.session.execute(sa.select(Report.id, Report.kind, Report.params).where(Report.status.in_(waiting))).all()
    ids = [row.id for row in rows if may_name(row.kind, row.params, user_id)]
    if not ids:
        return 0
    # Marked first: the row locks now held make a job finishing meanwhile wait, then see the mark.
    db.session.execute(
        sa.update(Report)
        .where(Report.id.in_(ids), Report.status.in_(waiting))
        .values(withdrawn_reason=reason)
        .execution_options(synchronize_session=False)
    )
    finished = db.session.execute(
        sa.select(Report.id, Report.file_key).where(Report.id.in_(ids), Report.status == ReportStatus.DONE)
    ).all()
    if finished:
        db.session.execute(
            sa.update(Report)
            .where(Report.id.in_([row.id for row in finished]))
            .values(status=ReportStatus.WITHDRAWN, file_key=None, file_size=None)
            .execution_options(synchronize_session=False)
        )
    delete_after_commit([row.file_key for row in finished])
    return len(ids)
