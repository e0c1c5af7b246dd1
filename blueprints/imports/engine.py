"""The import engine: validate rows, classify them, and upsert them a batch at a time.

Set-based: for a batch of rows, one query finds the existing users by external id, one by e-mail,
one finds their memberships; inserts and updates go out as executemany statements. Nothing is
done one row at a time against the database.
"""

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.emails import check_email
from app.events import emit_after_commit
from app.extensions import db
from app.security.passwords import hash_password, password_problems
from app.security.permissions import BRANCH_MANAGER, ORG_ADMIN, STUDENT, TEACHER, TENANT_ROLES
from app.tenancy.models import utcnow
from blueprints.branches.models import Branch, BranchMembership
from blueprints.branches.scope import BranchScope
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.imports.csvfile import CLASS_SEPARATOR
from blueprints.users.models import User
from blueprints.users.services import unmanageable_ids

MAX_LENGTHS = {"email": 254, "first_name": 100, "last_name": 100, "external_id": 100, "password": 200}
USER_FIELDS = ("email", "first_name", "last_name", "role", "external_id")


@dataclass
class Row:
    number: int
    email: str
    first_name: str
    last_name: str
    role: str
    external_id: str | None
    password: str | None
    branch_id: int | None
    class_ids: tuple
    # What a roster sync (blueprints/integrations/roster_sync.py) adds; a people CSV leaves them as they are:
    more_branch_ids: tuple = ()  # further branches, with the same role as `branch_id`
    class_roles: dict | None = None  # class id -> "teacher" | "student", where not the one `role` implies
    is_active: bool | None = None  # None: left as it is (a new person is active)

    @property
    def branch_ids(self):
        return tuple(dict.fromkeys(b for b in (self.branch_id, *self.more_branch_ids) if b))

    def class_role(self, class_id):
        if self.class_roles and class_id in self.class_roles:
            return self.class_roles[class_id]
        return _membership_role(self.role, for_class=True)


@dataclass
class RowError:
    row_number: int
    column: str
    value: str
    reason: str


@dataclass
class Catalog:
    """Branches and classes by the names a file may use, loaded once per import."""

    branches: dict  # lowercased code or name -> id
    classes: dict  # (branch id, lowercased class name) -> id

    @classmethod
    def load(cls):
        branches = {}
        for branch in db.session.execute(
            sa.select(Branch.id, Branch.code, Branch.name).where(Branch.archived_at.is_(None))
        ):
            branches[branch.code.lower()] = branch.id
            branches.setdefault(branch.name.lower(), branch.id)
        classes = {
            (row.branch_id, row.name.lower()): row.id
            for row in db.session.execute(
                sa.select(SchoolClass.id, SchoolClass.branch_id, SchoolClass.name).where(
                    SchoolClass.archived_at.is_(None)
                )
            )
        }
        return cls(branches, classes)


@dataclass
class Validator:
    """Checks rows one by one; remembers e-mails and external ids seen earlier in the file."""

    catalog: Catalog
    scope_branch_ids: frozenset | None  # None: organization-wide
    seen_emails: dict = field(default_factory=dict)
    seen_external_ids: dict = field(default_factory=dict)

    def validate(self, number, record):
        """(Row, []) for a valid record; (None, [RowError, ...]) naming every problem otherwise."""
        errors = []

        def problem(column, reason):
            errors.append(RowError(number, column, (record.get(column) or "")[:300], reason))

        for column, limit in MAX_LENGTHS.items():
            if len(record.get(column) or "") > limit:
                problem(column, f"Longer than {limit} characters.")
        for column in ("email", "role"):  # names may be empty, as they may be for people added elsewhere
            if not record.get(column):
                problem(column, "Required.")
        email, external_id = self._identity(record, problem)
        role = self._role(record, problem)
        branch_id = self._branch(record, role, problem)
        class_ids = self._classes(record, branch_id, problem)
        password = record.get("password") or None
        if password and len(password) <= MAX_LENGTHS["password"]:
            for reason in password_problems(password, email or ""):
                problem("password", reason)
        if errors:
            return None, errors
        self.seen_emails[email] = number
        if external_id:
            self.seen_external_ids[external_id] = number
        row = Row(
            number, email, record["first_name"], record["last_name"], role, external_id, password, branch_id, class_ids
        )
        return row, []

    def _identity(self, record, problem):
        email = None
        if record.get("email") and len(record["email"]) <= MAX_LENGTHS["email"]:
            email, reason = check_email(record["email"])
            if reason:
                problem("email", f"Not a valid e-mail address: {reason}")
            elif email in self.seen_emails:
                problem("email", f"Duplicate of row {self.seen_emails[email]}.")
        external_id = record.get("external_id") or None
        if external_id and external_id in self.seen_external_ids:
            problem("external_id", f"Duplicate of row {self.seen_external_ids[external_id]}.")
        return email, external_id

    def _role(self, record, problem):
        role = (record.get("role") or "").lower()
        if role and role not in TENANT_ROLES:
            problem("role", f"Unknown role; use one of {', '.join(TENANT_ROLES)}.")
        if role == ORG_ADMIN and self.scope_branch_ids is not None:
            problem("role", "Only an org admin can import org admins.")
        return role

    def _branch(self, record, role, problem):
        name = record.get("branch") or ""
        if not name:
            if role in (BRANCH_MANAGER, TEACHER, STUDENT):
                problem("branch", f"Required for a {role.replace('_', ' ')}.")
            return None
        branch_id = self.catalog.branches.get(name.lower())
        if branch_id is None:
            problem("branch", "Unknown branch (use its code or name).")
        elif self.scope_branch_ids is not None and branch_id not in self.scope_branch_ids:
            problem("branch", "You can only import into the branches you manage.")
            return None
        return branch_id

    def _classes(self, record, branch_id, problem):
        class_ids = []
        for name in filter(None, (part.strip() for part in (record.get("classes") or "").split(CLASS_SEPARATOR))):
            class_id = self.catalog.classes.get((branch_id, name.lower())) if branch_id else None
            if class_id is None:
                problem("classes", f"Unknown class {name!r} in this branch.")
            else:
                class_ids.append(class_id)
        return tuple(dict.fromkeys(class_ids))


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    invite_emails: list = field(default_factory=list)


def _membership_role(row_role, for_class=False):
    if for_class:
        return TEACHER if row_role in (TEACHER, BRANCH_MANAGER) else STUDENT
    return row_role if row_role != ORG_ADMIN else BRANCH_MANAGER


def _existing_users(rows):
    columns = (
        User.id,
        User.email,
        User.first_name,
        User.last_name,
        User.role,
        User.external_id,
        User.is_active,
        User.archived_by_run_id,
    )
    external_ids = [row.external_id for row in rows if row.external_id]
    by_external_id = {}
    if external_ids:
        by_external_id = {
            u.external_id: u for u in db.session.execute(sa.select(*columns).where(User.external_id.in_(external_ids)))
        }
    emails = [row.email for row in rows]
    by_email = {u.email: u for u in db.session.execute(sa.select(*columns).where(User.email.in_(emails)))}
    return by_external_id, by_email


def _memberships(user_ids):
    if not user_ids:
        return {}, {}
    branch = {
        (m.user_id, m.branch_id): m.role
        for m in db.session.execute(
            sa.select(BranchMembership.user_id, BranchMembership.branch_id, BranchMembership.role).where(
                BranchMembership.user_id.in_(user_ids)
            )
        )
    }
    classes = {
        (m.user_id, m.class_id): m.role
        for m in db.session.execute(
            sa.select(ClassMembership.user_id, ClassMembership.class_id, ClassMembership.role).where(
                ClassMembership.user_id.in_(user_ids)
            )
        )
    }
    return branch, classes


def _match(rows, scope_branch_ids, result):
    """(row, existing user or None) for rows that name one person unambiguously and in scope."""
    by_external_id, by_email = _existing_users(rows)
    matched = []
    for row in rows:
        user = (by_external_id.get(row.external_id) if row.external_id else None) or by_email.get(row.email)
        owner = by_email.get(row.email)
        if user is not None and owner is not None and owner.id != user.id:
            result.errors.append(
                RowError(row.number, "email", row.email, "Belongs to another person than this external_id.")
            )
        elif user is not None and row.external_id and user.external_id and user.external_id != row.external_id:
            reason = "This e-mail belongs to a person with another external_id."
            result.errors.append(RowError(row.number, "external_id", row.external_id, reason))
        else:
            matched.append((row, user))
    scope = BranchScope(scope_branch_ids)
    out_of_reach = unmanageable_ids([user.id for _, user in matched if user is not None], scope)
    kept = []
    for row, user in matched:
        if user is not None and user.id in out_of_reach:
            reason = "This person is outside your branches, an org admin or a manager of other branches."
            result.errors.append(RowError(row.number, "email", row.email, reason))
        elif user is not None and not scope.organization_wide and user.email != row.email:
            # The sign-in address is the key to the account (reset links go there): only org admins move it.
            reason = f"Only an org admin can change a person's sign-in e-mail (now {user.email})."
            result.errors.append(RowError(row.number, "email", row.email, reason))
        else:
            kept.append((row, user))
    return kept


def _changes(row, user, branch_have, class_have):
    """The user fields this row changes, and whether it adds or changes a membership."""
    wanted = {
        "email": row.email,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "role": row.role,
        "external_id": row.external_id or user.external_id,
    }
    if row.is_active is not None:
        wanted["is_active"] = row.is_active
    changed = {key: value for key, value in wanted.items() if getattr(user, key) != value}
    if row.is_active is not None and user.archived_by_run_id is not None:
        # The file now decides whether this person is active: reversing the archiving run must not act on them
        # (reactivate someone the roster removed), and they are no longer listed as "archived" by the policy.
        changed["archived_by_run_id"] = None
    branch_role = _membership_role(row.role)
    branch_differs = any(branch_have.get((user.id, branch_id)) != branch_role for branch_id in row.branch_ids)
    classes_differ = any(class_have.get((user.id, c)) != row.class_role(c) for c in row.class_ids)
    return changed, branch_differs or classes_differ


def _hash_passwords(rows):
    """Argon2id is slow on purpose; a small pool uses the cores its own lanes leave idle (~20 %)."""
    with_password = [row for row in rows if row.password]
    if not with_password:
        return {}
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        hashes = pool.map(hash_password, [row.password for row in with_password])
    return {row.number: password_hash for row, password_hash in zip(with_password, hashes, strict=True)}


def _insert_rows(model, rows, chunk=5000):
    """Core executemany a chunk at a time: the ORM's bulk insert of 100 000 memberships peaked ~100 MB above the rows
    themselves, this stays under 10 MB (a roster sync writes a million; rows carry every column, no ORM defaults)."""
    for start in range(0, len(rows), chunk):
        db.session.execute(model.__table__.insert(), rows[start : start + chunk])


def _insert_users(new_rows, now):
    hashes = _hash_passwords(new_rows)
    _insert_rows(
        User,
        [
            {
                "email": row.email,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "role": row.role,
                "external_id": row.external_id,
                "is_active": row.is_active is not False,
                "created_at": now,
                "updated_at": now,
                "password_hash": hashes.get(row.number),
            }
            for row in new_rows
        ],
    )
    created = db.session.execute(sa.select(User.email, User.id).where(User.email.in_([r.email for r in new_rows])))
    return {email: user_id for email, user_id in created}


def apply_batch(rows, *, commit, scope_branch_ids, send_invitations):
    """Classify (and with `commit`, write) one batch of valid rows. The caller commits."""
    result = BatchResult()
    kept = _match(rows, scope_branch_ids, result)
    branch_have, class_have = _memberships([user.id for _, user in kept if user is not None])
    new_rows = [row for row, user in kept if user is None]
    updates, user_ids_by_email = [], {}
    for row, user in kept:
        if user is None:
            continue
        user_ids_by_email[row.email] = user.id
        changed, memberships_differ = _changes(row, user, branch_have, class_have)
        if changed:
            updates.append({"id": user.id, **changed, "updated_at": utcnow()})
        if changed or memberships_differ:
            result.updated += 1
        else:
            result.unchanged += 1
    result.created = len(new_rows)
    if not commit:
        return result

    now = utcnow()
    if new_rows:
        user_ids_by_email.update(_insert_users(new_rows, now))
        if send_invitations:
            result.invite_emails = [row.email for row in new_rows if not row.password]
    if updates:
        db.session.execute(sa.update(User), updates)
    _write_memberships(kept, user_ids_by_email, branch_have, class_have, now)
    return result


def _emit_members_added(memberships):
    """One `class.members_added` per class and role of this batch, in its transaction (so that people
    imported into a class enrolled in courses are enrolled in them)."""
    added = defaultdict(list)
    for membership in memberships:
        added[membership["class_id"], membership["role"]].append(membership["user_id"])
    for (class_id, role), user_ids in sorted(added.items()):
        emit_after_commit(db.session, "class.members_added", class_id=class_id, user_ids=sorted(user_ids), role=role)


def _write_memberships(kept, user_ids_by_email, branch_have, class_have, now):
    branch_new, branch_changed, class_new, class_changed = [], [], [], []
    for row, _user in kept:
        user_id = user_ids_by_email[row.email]
        for branch_id in row.branch_ids:
            role = _membership_role(row.role)
            have = branch_have.get((user_id, branch_id))
            if have is None:
                branch_new.append({"user_id": user_id, "branch_id": branch_id, "role": role, "created_at": now})
            elif have != role:
                branch_changed.append((user_id, branch_id, role))
        for class_id in row.class_ids:
            role = row.class_role(class_id)
            have = class_have.get((user_id, class_id))
            if have is None:
                class_new.append({"user_id": user_id, "class_id": class_id, "role": role, "created_at": now})
            elif have != role:
                class_changed.append((user_id, class_id, role))
    if branch_new:
        _insert_rows(BranchMembership, branch_new)
    if class_new:
        _insert_rows(ClassMembership, class_new)
        _emit_members_added(class_new)
    for user_id, branch_id, role in branch_changed:
        db.session.execute(
            sa.update(BranchMembership)
            .where(BranchMembership.user_id == user_id, BranchMembership.branch_id == branch_id)
            .values(role=role)
        )
    for user_id, class_id, role in class_changed:
        db.session.execute(
            sa.update(ClassMembership)
            .where(ClassMembership.user_id == user_id, ClassMembership.class_id == class_id)
            .values(role=role)
        )
    concerned = {m["user_id"] for m in (*branch_new, *class_new)} | {
        change[0] for change in (*branch_changed, *class_changed)
    }
    if concerned:  # one event per batch, in its transaction
        emit_after_commit(db.session, "memberships.changed", user_ids=sorted(concerned))
