"""Content items and their immutable versions: edit, publish, compare, restore."""

import difflib
import html
import re

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.errors import NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.actor_ids import actor_ids
from app.tenancy.locks import locked
from blueprints.courses.media import discard_files, file_keys
from blueprints.courses.models import (
    ContentItem,
    ContentKind,
    ContentVersion,
    CourseModule,
)
from blueprints.courses.rich_text import rich_text, sanitize_html
from blueprints.learning.queries import enrollments_with_records_of

VIDEO_HOSTS = ("www.youtube.com", "youtube.com", "youtu.be", "player.vimeo.com", "vimeo.com")


def _clean_body(kind, body):
    body = body or ""
    if kind in (ContentKind.TEXT, ContentKind.FILE, ContentKind.ASSESSMENT):  # HTML, shown to learners
        return rich_text(body)
    if kind in (ContentKind.VIDEO, ContentKind.LINK) and body:
        match = re.match(r"^https://([^/]+)/", body)
        if not match:
            raise ValidationFailed("Links must be https URLs.", {"body": ["An https:// URL."]})
        if kind == ContentKind.VIDEO and match.group(1).lower() not in VIDEO_HOSTS:
            raise ValidationFailed(
                "Videos embed from YouTube or Vimeo.", {"body": [f"One of {', '.join(VIDEO_HOSTS)}."]}
            )
    return body


def get_item(item_id):
    item = db.session.get(ContentItem, item_id)
    if item is None:
        raise NotFound("No such content.")
    return item


def add_item(course, data, actor):
    """A new item at the end of a module; a module named by title is created (a title wins over an id).

    Everything is checked before anything is written, and the item, its first version and a new module
    are committed together or not at all: a refused link once left an item behind whose page was a 404."""
    if data["kind"] not in ContentKind.ALL:
        raise ValidationFailed("Unknown kind.", {"kind": [f"One of {', '.join(ContentKind.ALL)}."]})
    body = _clean_body(data["kind"], data.get("body"))
    title = (data.get("module_title") or "").strip()
    module = None
    if not title:
        if not data.get("module_id"):
            raise ValidationFailed(
                "Choose a module or name a new one.",
                {"module_title": ["Choose a module (module_id) or name a new one (module_title)."]},
            )
        module = db.session.get(CourseModule, data["module_id"])
        if module is None or module.course_id != course.id:
            raise ValidationFailed("No such module in this course.", {"module_id": ["Not in this course."]})
    try:
        if module is None:
            last = db.session.scalar(
                sa.select(sa.func.max(CourseModule.position)).where(CourseModule.course_id == course.id)
            )
            module = CourseModule(course_id=course.id, title=title, position=(last or 0) + 1)
            db.session.add(module)
            db.session.flush()
        last = db.session.scalar(sa.select(sa.func.max(ContentItem.position)).where(ContentItem.module_id == module.id))
        item = ContentItem(
            course_id=course.id,
            module_id=module.id,
            kind=data["kind"],
            title=data["title"],
            position=(last or 0) + 1,
            published_version=1,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            ContentVersion(
                item_id=item.id,
                number=1,
                body=body,
                change_note=data.get("change_note") or "First version",
                **_authored_by(actor),
            )
        )
        emit_after_commit(db.session, "course.items_changed", course_id=course.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item


def versions(item):
    return db.session.scalars(
        sa.select(ContentVersion).where(ContentVersion.item_id == item.id).order_by(ContentVersion.number.desc())
    ).all()


MAX_VERSION = 2**31 - 1  # an INTEGER column: a larger number is no version (and PostgreSQL would refuse it)


def version(item, number):
    if not 1 <= number <= MAX_VERSION:
        raise NotFound(f"No version {number} of this content.")
    found = db.session.scalar(
        sa.select(ContentVersion).where(ContentVersion.item_id == item.id, ContentVersion.number == number)
    )
    if found is None:
        raise NotFound(f"No version {number} of this content.")
    return found


def published_body(item):
    return version(item, item.published_version).body if item.published_version else ""


def _authored_by(actor):
    """The version's author: the person, or the API key, that acted (`actor` is the principal)."""
    user_id, api_key_id = actor_ids(actor)
    return {"author_id": user_id, "author_api_key_id": api_key_id}


def new_version(item, body, change_note, actor, publish=True, title=None):
    """Every edit is a new, immutable version; learners see the published one.

    Concurrent edits and restores of one item take turns on its row, so that numbers run 1..N."""
    if not locked(sa.select(ContentItem).where(ContentItem.id == item.id)):
        raise NotFound("No such content.")  # removed while this edit waited for it
    number = (
        db.session.scalar(sa.select(sa.func.max(ContentVersion.number)).where(ContentVersion.item_id == item.id)) or 0
    ) + 1
    created = ContentVersion(
        item_id=item.id,
        number=number,
        body=_clean_body(item.kind, body),
        change_note=(change_note or "")[:300],
        **_authored_by(actor),
    )
    db.session.add(created)
    if title:
        item.title = title
    if publish:
        item.published_version = number
    db.session.flush()
    db.session.expunge(created)  # answered as written, even if the item is removed before the answer is sent
    db.session.commit()
    return created


def restore(item, number, actor):
    """Copy an old version forward as the newest, published one (history is never rewritten)."""
    old = version(item, number)
    return new_version(item, old.body, f"Restored version {number}", actor)


def diff(item, a, b):
    """A unified text diff between two versions."""
    first, second = version(item, a), version(item, b)
    lines = difflib.unified_diff(
        first.body.splitlines(), second.body.splitlines(), f"version {a}", f"version {b}", lineterm=""
    )
    return "\n".join(lines)


_TOKEN = re.compile(r"<[^>]*>|[^<\s]+|\s+")
_LINE = re.compile(r"<[^>]*>|[^<\n]+|\n")
MAX_WORD_PAIRS = 25_000_000  # beyond (old words x new words), compare by lines: fast enough for any page


def _tokens(html, pattern=_TOKEN):
    return pattern.findall(html)


def _marked(tokens, tag):
    """Text runs wrapped in `<ins>`/`<del>`; an insertion keeps its tags (they are the new version's
    structure), a deletion drops them (the old structure is gone)."""
    out, run = [], []

    def flush():
        if "".join(run).strip():
            out.append(f"<{tag}>{''.join(run)}</{tag}>")
        else:
            out.extend(run)
        run.clear()

    for token in tokens:
        if token.startswith("<"):
            flush()
            if tag == "ins":
                out.append(token)
        else:
            run.append(token)
    flush()
    return out


def word_diff(old_html, new_html):
    """The new version as rendered HTML, with the words removed since the old one in `<del>` and the
    words added in `<ins>` (sanitised like any lesson); None when nothing changed."""
    if old_html == new_html:
        return None
    old, new = _tokens(old_html), _tokens(new_html)
    if len(old) * len(new) > MAX_WORD_PAIRS:
        old, new = _tokens(old_html, _LINE), _tokens(new_html, _LINE)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out += new[j1:j2]
        if op in ("delete", "replace"):
            out += _marked(old[i1:i2], "del")
        if op in ("insert", "replace"):
            out += _marked(new[j1:j2], "ins")
    return sanitize_html("".join(out), extra_tags=frozenset({"ins"}))


def compare(item, a, b):
    """Two versions of an item, compared word by word and rendered (bodies that are addresses, not HTML,
    are compared as text)."""
    first, second = version(item, a), version(item, b)
    if item.kind in (ContentKind.VIDEO, ContentKind.LINK):
        return word_diff(html.escape(first.body), html.escape(second.body))
    return word_diff(first.body, second.body)


def delete_item(item):
    """Remove an item with its versions, progress and files (bytes too); of two removals at once, the
    second finds nothing to remove (404)."""
    keys = file_keys([item.id])
    course_id = item.course_id
    if not db.session.execute(sa.delete(ContentItem).where(ContentItem.id == item.id)).rowcount:
        raise NotFound("No such content.")
    emit_after_commit(db.session, "course.items_changed", course_id=course_id)
    db.session.commit()
    discard_files(keys)


def get_module(course, module_id):
    """A module of this course; a module of another course is not found here."""
    module = db.session.get(CourseModule, module_id)
    if module is None or module.course_id != course.id:
        raise NotFound("No such module.")
    return module


def _title(title):
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Give a title.", {"title": ["Required."]})
    if len(title) > 200:
        raise ValidationFailed("This title is too long.", {"title": ["At most 200 characters."]})
    return title


def _place(moving, siblings, position):
    """Put `moving` at `position` (1 = first; past the end = last) among `siblings`, numbered densely."""
    others = [sibling for sibling in siblings if sibling.id != moving.id]
    others.insert(min(max(position, 1), len(others) + 1) - 1, moving)
    for number, sibling in enumerate(others):
        sibling.position = number


def rename_module(module, title=None, position=None):
    """Rename a module and/or put it at another place in the course's outline (1 = first)."""
    title = _title(title) if title is not None else module.title
    if position is not None:
        siblings = db.session.scalars(
            sa.select(CourseModule)
            .where(CourseModule.course_id == module.course_id)
            .order_by(CourseModule.position, CourseModule.id)
        ).all()
        _place(module, siblings, position)
    module.title = title
    db.session.commit()
    return module


def items_of_module(module):
    return db.session.scalars(
        sa.select(ContentItem).where(ContentItem.module_id == module.id).order_by(ContentItem.position, ContentItem.id)
    ).all()


def delete_module(module):
    """Remove a module with its items (their versions, learners' progress and files go with them)."""
    items = sa.select(ContentItem.id).where(ContentItem.module_id == module.id)
    keys = file_keys(items)
    course_id = module.course_id
    if not db.session.execute(sa.delete(CourseModule).where(CourseModule.id == module.id)).rowcount:
        raise NotFound("No such module.")
    emit_after_commit(db.session, "course.items_changed", course_id=course_id)
    db.session.commit()
    discard_files(keys)


def change_item(item, title=None, module_id=None, position=None):
    """Rename an item (no new version: the title is the outline's), move it to the end of a module of its
    course, and/or put it at a place in its module (1 = first)."""
    title = _title(title) if title is not None else item.title
    if module_id is not None:  # to the end of that module (its own: to the end of it)
        target = db.session.get(CourseModule, module_id)
        if target is None or target.course_id != item.course_id:
            raise ValidationFailed("No such module in this course.", {"module_id": ["Not in this course."]})
        last = db.session.scalar(
            sa.select(sa.func.max(ContentItem.position)).where(
                ContentItem.module_id == target.id, ContentItem.id != item.id
            )
        )
        item.module_id = target.id
        item.position = (last or 0) + 1
    if position is not None:
        db.session.flush()  # its new module's order, with the item in it
        _place(item, items_of_module(db.session.get(CourseModule, item.module_id)), position)
    item.title = title
    db.session.commit()
    return item


def progress_at_stake(item_ids):
    """What removing these items takes from learners: how many learners completed or spent time on them,
    and how many enrollments lose a record (one query)."""
    return enrollments_with_records_of(item_ids)


def move(course, kind, object_id, direction):
    """Swap a module or an item of the course with its neighbour ("up" or "down")."""
    model = CourseModule if kind == "module" else ContentItem
    moving = db.session.get(model, object_id)
    if moving is None or moving.course_id != course.id:
        raise NotFound(f"No such {kind}.")
    siblings = sa.select(model).where(
        model.course_id == moving.course_id if kind == "module" else model.module_id == moving.module_id
    )
    ordered = db.session.scalars(siblings.order_by(model.position, model.id)).all()
    index = ordered.index(moving)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, sibling in enumerate(ordered):  # renumber: positions stay dense and unique
            sibling.position = position
        db.session.commit()


def newest_version_numbers(course):
    """{item id: its newest version number} for a course's items (one query): newer than the published
    one is a draft that learners do not see yet."""
    rows = db.session.execute(
        sa.select(ContentVersion.item_id, sa.func.max(ContentVersion.number))
        .join(ContentItem, ContentItem.id == ContentVersion.item_id)
        .where(ContentItem.course_id == course.id)
        .group_by(ContentVersion.item_id)
    )
    return dict(rows.all())


def latest_version(item):
    return db.session.scalar(
        sa.select(ContentVersion)
        .where(ContentVersion.item_id == item.id)
        .order_by(ContentVersion.number.desc())
        .limit(1)
    )


CONTENT_LIST = ListSpec(
    filters={
        "id": ContentItem.id,
        "course": ContentItem.course_id,
        "module": ContentItem.module_id,
        "kind": ContentItem.kind,
        "title": ContentItem.title,
    },
    sorts={"id": ContentItem.id, "title": ContentItem.title, "position": ContentItem.position},
    default_sort=("id",),
    tiebreaker=ContentItem.id,
)


def list_content(query, visible_course_ids):
    """Items of the courses the caller can see (`visible_course_ids` is a select of ids)."""
    stmt = sa.select(ContentItem).where(ContentItem.course_id.in_(visible_course_ids))
    return run_list_query(db.session, stmt, query, CONTENT_LIST)
