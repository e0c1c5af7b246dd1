"""The staff's view of a course's learners: the progress list (roster page and API), its CSV and one learner's
detail. Learners' own progress lives in services."""

import csv
import io
from dataclasses import replace

import sqlalchemy as sa

from app.api.listing import FilterBy, ListSpec, Page, clause, run_list_query
from app.csv_safety import safe_row
from app.errors import NotFound
from app.extensions import db
from blueprints.branches.queries import people_of
from blueprints.courses.models import (
    ContentItem,
)
from blueprints.courses.services import outline
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime
from blueprints.learning.services import percent
from blueprints.users.models import User  # the progress list filters and sorts on people's names


def _done_count():
    return (
        sa.select(sa.func.count(ItemProgress.id))
        .where(ItemProgress.enrollment_id == Enrollment.id)
        .correlate(Enrollment)
        .scalar_subquery()
    )


def _learner_search(op, value):
    """`filter[q]=ann`: every word somewhere in the learner's e-mail or names, case-insensitively."""
    words = [word.replace("%", "").replace("_", "") for word in str(value).split()][:5]
    return sa.and_(
        sa.true(),
        *(
            sa.or_(User.email.ilike(f"%{w}%"), User.first_name.ilike(f"%{w}%"), User.last_name.ilike(f"%{w}%"))
            for w in words
            if w
        ),
    )


PROGRESS_LIST = ListSpec(
    filters={
        "status": Enrollment.status,
        "email": User.email,
        "completed": FilterBy(
            Enrollment.completed_at.is_not(None), lambda op, v: clause(Enrollment.completed_at.is_not(None), op, v)
        ),
        "due_at": Enrollment.due_at,
        "class": Enrollment.class_id,
        "q": FilterBy(User.email, _learner_search),
    },
    sorts={
        "last_name": User.last_name,
        "email": User.email,
        "enrolled_at": Enrollment.enrolled_at,
        "completed_at": Enrollment.completed_at,
        "due_at": Enrollment.due_at,
        "seconds_spent": Enrollment.seconds_spent,
    },
    default_sort=("last_name",),
    tiebreaker=User.id,
)


def course_progress(course, query, branch_ids=None):
    """A page of the enrolled learners with their progress: three queries whatever the course size.

    `branch_ids`: only the learners of these branches (what a branch manager follows)."""
    total = db.session.scalar(sa.select(sa.func.count(ContentItem.id)).where(ContentItem.course_id == course.id))
    stmt = (
        sa.select(
            User.id,
            User.email,
            User.first_name,
            User.last_name,
            Enrollment.status,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            Enrollment.seconds_spent,
            _done_count().label("done"),
        )
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id)
    )
    if branch_ids is not None:
        stmt = stmt.where(User.id.in_(people_of(branch_ids)))
    page = run_list_query(db.session, stmt, query, PROGRESS_LIST, rows=True)
    items = [dict(row._mapping, total=total, percent=percent(row.done, total)) for row in page.items]
    return Page(items, page.page, page.per_page, page.total)


ROSTER_CSV_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "status",
    "enrolled_at",
    "due_at",
    "completed_at",
    "completed_items",
    "total_items",
    "percent",
    "seconds_spent",
)


def roster_csv(course, query, branch_ids=None):
    """The roster as CSV (the page's filters), in chunks of a page of 100 learners: constant memory."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ROSTER_CSV_COLUMNS)
    page_number = 1
    while True:
        page = course_progress(course, replace(query, page=page_number, per_page=100), branch_ids=branch_ids)
        for row in page.items:
            when = [
                row[k].strftime("%Y-%m-%d %H:%M") if row[k] else "" for k in ("enrolled_at", "due_at", "completed_at")
            ]
            person = [row["email"], row["first_name"], row["last_name"], row["status"]]
            writer.writerow(safe_row([*person, *when, row["done"], row["total"], row["percent"], row["seconds_spent"]]))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page_number * 100 >= page.total:
            return
        page_number += 1


def learner_in_course(course, user_id, branch_ids=None):
    """One learner's enrollment in the course with their progress per item, time spent and last activity,
    as the roster's detail shows it: five queries, whatever the course's size.

    `branch_ids`: a branch manager sees only the people of their branches (others are not found)."""
    stmt = (
        sa.select(User, Enrollment)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, User.id == user_id)
    )
    if branch_ids is not None:
        stmt = stmt.where(User.id.in_(people_of(branch_ids)))
    found = db.session.execute(stmt).first()
    if found is None:
        raise NotFound("This person is not enrolled in this course.")
    person, enrollment = found
    completed = dict(
        db.session.execute(
            sa.select(ItemProgress.item_id, ItemProgress.completed_at).where(
                ItemProgress.enrollment_id == enrollment.id
            )
        ).all()
    )
    spent = {
        item_id: (seconds, updated_at)
        for item_id, seconds, updated_at in db.session.execute(
            sa.select(ItemTime.item_id, ItemTime.seconds, ItemTime.updated_at).where(
                ItemTime.enrollment_id == enrollment.id
            )
        )
    }
    modules = outline(course)
    rows = [
        {
            "module": module["title"],
            "item": item,
            "completed_at": completed.get(item.id),
            "seconds": spent.get(item.id, (0, None))[0],
        }
        for module in modules
        for item in module["items"]
    ]
    moments = [enrollment.enrolled_at, enrollment.last_reported_at, *completed.values()]
    moments += [updated_at for _, updated_at in spent.values()]
    return {
        "person": person,
        "enrollment": enrollment,
        "items": rows,
        "done": sum(1 for row in rows if row["completed_at"]),
        "percent": percent(sum(1 for row in rows if row["completed_at"]), len(rows)),
        "last_activity": max(moment for moment in moments if moment is not None),
    }
