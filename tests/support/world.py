"""One organization with two branches, everyone in it, and something of everything, built through the services.

The escalation matrix acts in this world as each role and checks who may touch what. Every id the
matrix uses is in `World.ids`; `TenantSnapshots` reads every table (and the organization's registry
row) and puts back, cheaply, only what a request changed.

    North: branch manager `bm_north` (the acting manager), teacher `t1` (class N1, course C1),
           students `s_north` (N1, enrolled in C1: the acting student), `s_north2` (in nothing yet) and
           `s_north3` (enrolled in C_org), org admin `admin2` (a member of North: a manager must not reach them).
    South: branch manager `bm_south`, teacher `t2` (class S1, course C2), student `s_south` (S1, C2, C_org).
    Org admin `admin` (no branch): the acting org admin.
    Courses C1, C2 and C_org (organization-wide, self-enrollment) are published, each with a module, a
    text lesson (two versions), a file item with a PDF, and a cover; C_both (North and South, empty)
    belongs to no single manager; C_t1_org is an organization-wide draft that t1 teaches (any teacher
    can make one). API keys: one per role, and `victim_key` to revoke. Imports: a dry run per scope
    (`imp_north`, `imp_south`, `imp_org`) to commit. Questions: `q1` (C1), `q2` (C2), `q_org` (the
    organization bank, the admin's), and archived ones to restore, `qa1` (C1) and `qa2` (C2).
    Quizzes (tests/support/quizzes.py): `quiz1` (C1, published), `quiz1_draft`, `quiz2` (C2). Exams with an
    essay (tests/support/attempts.py): `exam1` (C1, s_north), `exam2` (C2, s_south), `exam_org` (C_org,
    s_north3), each with its learner's submitted attempt (`essay1`, ...: the essay awaiting a grade) and open
    one (`open1`, ...); nobody has started `quiz1` (s_north may).
    Certificates (tests/support/certificate_rows.py): `cert1` (C1, s_north's), `cert2` (C2, s_south's), `cert_org`
    (C_org, s_north3's).
    Report schedules: `schedule_admin`, `schedule_bm_north`, `schedule_bm_south`, `schedule_t1`, each its owner's.
    Announcements scheduled for tomorrow: `announcement_admin`, `announcement_bm_north`, `announcement_t1`.
    Integrations: `integration` (webhook, with `subscription`) and `integration_other` (with `subscription_other`),
    both paused.
    Notifications: `notification_admin`, `notification_bm_north`, `notification_t1`, `notification_s_north` and
    `notification_s_south`, an unread announcement of each.
"""

import inspect
import io
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.security.actor import Actor
from app.security.permissions import BRANCH_MANAGER, ORG_ADMIN, STUDENT, TEACHER
from app.security.principal import Principal
from app.storage import media_storage
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant
from blueprints.api_keys.services import create_api_key
from blueprints.audit.models import AuditEvent
from blueprints.badges import awards as badge_awards
from blueprints.badges import badges as badge_services
from blueprints.branches import services as branches
from blueprints.branches.scope import BranchScope
from blueprints.classes import services as classes
from blueprints.courses import content, covers, media
from blueprints.courses import services as courses
from blueprints.imports import services as imports
from blueprints.integrations import services as integrations
from blueprints.learning import services as learning
from blueprints.notifications import template_editor
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.privacy import archiving
from blueprints.privacy.exports import request_export
from blueprints.reports.generation import request_report
from blueprints.users import management
from blueprints.users.models import User
from blueprints.users.services import create_user
from tests.conftest import PASSWORD
from tests.support.announcements import scheduled_announcement_row
from tests.support.attempts import seed_attempts
from tests.support.certificate_rows import seed_certificates
from tests.support.integrations import matrix_roster_ids, webhook_rows
from tests.support.membership_guard import memberships_written_without_event
from tests.support.questions import archived_question_row, question_row
from tests.support.quizzes import seed_quizzes
from tests.support.report_schedules import schedule_row

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes(size=(8, 8), colour="teal"):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def csv_bytes(*rows):
    header = "email,first_name,last_name,role,branch,classes,external_id\n"
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode()


@dataclass
class World:
    tenant: object
    ids: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(app, tenant, run_jobs):
    """Everything the matrix needs, made with the same services the API and pages call."""
    everywhere = BranchScope(None)
    world = World(tenant)
    ids = world.ids
    with tenant_context(tenant, app):
        admin = db.session.scalar(sa.select(User).where(User.role == ORG_ADMIN))
        ids["admin"] = admin.id
        north = branches.create_branch({"code": "north", "name": "North"})
        south = branches.create_branch({"code": "south", "name": "South"})
        ids.update(north=north.id, south=south.id)

        def person(key, role, branch, branch_role=None, external_id=None):
            user = create_user(f"{key.replace('_', '-')}@example.org", role, key.title(), "Matrix", PASSWORD)
            if external_id:
                management.edit_person(user, {"external_id": external_id}, everywhere)
            if branch is not None:
                _scoped(branches.add_branch_member, branch, user.id, branch_role or role, scope=everywhere)
            ids[key] = user.id
            return user

        person("admin2", ORG_ADMIN, north, BRANCH_MANAGER, external_id="EXT-ADMIN2")
        person("bm_north", BRANCH_MANAGER, north)
        person("bm_south", BRANCH_MANAGER, south)
        t1 = person("t1", TEACHER, north)
        t2 = person("t2", TEACHER, south)
        s_north = person("s_north", STUDENT, north, external_id="EXT-SNORTH")
        person("s_north2", STUDENT, north, external_id="EXT-SNORTH2")
        s_north3 = person("s_north3", STUDENT, north)
        s_south = person("s_south", STUDENT, south, external_id="EXT-SSOUTH")

        n1 = classes.create_class({"branch_id": north.id, "name": "N1"}, everywhere)
        s1 = classes.create_class({"branch_id": south.id, "name": "S1"}, everywhere)
        _scoped(classes.add_members, n1, [t1.id], TEACHER, scope=everywhere)
        _scoped(classes.add_members, n1, [s_north.id], STUDENT, scope=everywhere)
        _scoped(classes.add_members, s1, [t2.id], TEACHER, scope=everywhere)
        _scoped(classes.add_members, s1, [s_south.id], STUDENT, scope=everywhere)
        ids.update(n1=n1.id, s1=s1.id)

        acting_admin = Principal("user", admin.id, admin.email, (ORG_ADMIN,), tenant.id)

        def course(key, title, branch_ids, teacher_ids, self_enrollment=False):
            data = {
                "title": title,
                "status": "published",
                "self_enrollment": self_enrollment,
                "branch_ids": branch_ids,
                "teacher_ids": teacher_ids,
            }
            made = courses.create_course(data, acting_admin, everywhere).course
            ids[key] = made.id
            return made

        c1 = course("c1", "Course One", [north.id], [t1.id])
        c2 = course("c2", "Course Two", [south.id], [t2.id])
        c_org = course("c_org", "Everyone's course", [], [], self_enrollment=True)
        course("c_both", "North and South", [north.id, south.id], [])
        # what any teacher can make: an organization-wide draft they teach (POST /courses with no branches)
        ids["c_t1_org"] = courses.create_course(
            {"title": "T1's organization-wide draft", "teacher_ids": [t1.id]}, acting_admin, everywhere
        ).id
        for prefix, made in (("1", c1), ("2", c2), ("3", c_org)):
            text = content.add_item(
                made, {"kind": "text", "title": f"Lesson {prefix}", "module_title": f"Module {prefix}"}, acting_admin
            )
            content.new_version(text, f"<p>Lesson {prefix}, second version</p>", "Second", acting_admin)
            file_item = content.add_item(
                made, {"kind": "file", "title": f"Handout {prefix}", "module_id": text.module_id}, acting_admin
            )
            upload = FileStorage(io.BytesIO(PDF), filename=f"handout-{prefix}.pdf", content_type="application/pdf")
            file = media.upload(file_item, upload, acting_admin)
            covers.set_cover(made, io.BytesIO(png_bytes()))
            ids.update(
                {
                    f"m{prefix}": text.module_id,
                    f"i{prefix}": text.id,
                    f"f{prefix}": file_item.id,
                    f"md{prefix}": file.id,
                }
            )
        for key, course_id in (("q1", c1.id), ("q2", c2.id), ("q_org", None)):
            ids[key] = question_row(course_id, "true_false", f"Question {key}", author_id=admin.id)
        ids["qa1"], ids["qa2"] = (archived_question_row(course_id) for course_id in (c1.id, c2.id))
        learning.enroll_users(c1, [s_north.id])
        learning.enroll_users(c2, [s_south.id])
        learning.enroll_users(c_org, [s_south.id, s_north3.id])
        ids.update(seed_quizzes(acting_admin, {"c1": c1, "c2": c2}, {"c1": s_north.id, "c2": s_south.id}))
        ids.update(
            seed_attempts(
                acting_admin,
                {"c1": c1, "c2": c2, "c_org": c_org},
                {"c1": s_north.id, "c2": s_south.id, "c_org": s_north3.id},
            )
        )
        ids.update(
            seed_certificates(
                {"c1": c1, "c2": c2, "c_org": c_org}, {"c1": s_north.id, "c2": s_south.id, "c_org": s_north3.id}
            )
        )

        # badges: of C1 (with an uploaded picture), of C1 held by s_north, of C2 and held by s_south, and the
        # whole organization's (org admins')
        admin_actor = Actor(acting_admin)

        def badge(key, **data):
            body = {"name": key, "status": "active", "criteria_strategy": "manual", **data}
            ids[key] = badge_services.create_badge(body, actor=admin_actor).id

        badge("badge_c1", course_id=c1.id)
        badge_services.set_image(ids["badge_c1"], png_bytes(), "badge.png", actor=admin_actor)
        badge("badge_c1_held", course_id=c1.id)
        badge("badge_c2", course_id=c2.id)
        badge("badge_c2_held", course_id=c2.id)
        badge("badge_org")
        badge_awards.award(ids["badge_c1_held"], s_north.id)
        badge_awards.award(ids["badge_c2_held"], s_south.id)

        # notification templates: the organization's own words for `enrolled` (to replace or reset)
        template_editor.save_template("enrolled", "Welcome to {{ course.title }}", "Hello!", actor=admin_actor)

        # report schedules: one of each acting staff member (and bm_south's), none queued
        for key in ("admin", "bm_north", "bm_south", "t1"):
            ids[f"schedule_{key}"] = schedule_row(ids[key], f"{key}'s weekly report")

        # announcements scheduled for tomorrow: one of each acting staff member, none queued
        for key in ("admin", "bm_north", "t1"):
            ids[f"announcement_{key}"] = scheduled_announcement_row(ids[key], f"{key}'s announcement")

        for role in (ORG_ADMIN, BRANCH_MANAGER, TEACHER, STUDENT):
            ids[f"key:{role}"] = create_api_key(f"{role} key", [role], acting_admin).secret
        ids["victim_key"] = create_api_key("A key to revoke", [STUDENT], acting_admin).key.id

        # integrations (docs/integrations.md): two webhook integrations, each with a subscription, paused (the
        # events of the matrix's requests are delivered to nobody); only org admins reach any of it, and a
        # subscription is reached through its own integration only
        for key in ("integration", "integration_other"):
            made = integrations.create_integration(
                {"kind": "webhook", "name": f"Matrix {key}", "subscription": {"url": f"https://{key}.example.org/"}},
                acting_admin,
            )
            integrations.update_integration(made.integration.id, {"status": "paused"}, acting_admin)
            ids[key] = made.integration.id
            ids[key.replace("integration", "subscription")] = integrations.list_subscriptions(
                made.integration.id, acting_admin
            )[0].id

        def as_manager(key):
            return Principal("user", ids[key], f"{key}@example.org", (BRANCH_MANAGER,), tenant.id)

        # reports (made by the jobs below): one each of the admin, bm_north and t1, and bm_south's (out of
        # reach of everyone but its requester and org admins)
        for key, role in (
            ("admin", ORG_ADMIN),
            ("bm_north", BRANCH_MANAGER),
            ("t1", TEACHER),
            ("bm_south", BRANCH_MANAGER),
        ):
            requester = Actor(Principal("user", ids[key], f"{key}@example.org", (role,), tenant.id))
            ids[f"report_{key}"] = request_report("course_completion", "csv", {}, actor=requester)[0].id

        # part privacy: the admin's data export of s_north3 (made by the jobs below), an archiving policy long
        # enough that nothing of this world is old, and a run of it (changing nothing) to reverse
        ids["data_export"] = request_export(ids["s_north3"], actor=Actor(acting_admin)).id
        archiving.save_policy({"course_months": 120, "people_months": 120}, Actor(acting_admin))
        ids["archiving_run"] = archiving.apply_policy(actor=Actor(acting_admin)).id

        # Dry runs to commit: one per branch manager's scope and one of the whole organization.
        for key, actor, scope, row in (
            ("imp_north", as_manager("bm_north"), BranchScope(frozenset({north.id})), "imp-north@example.org"),
            ("imp_south", as_manager("bm_south"), BranchScope(frozenset({south.id})), "imp-south@example.org"),
            ("imp_org", acting_admin, everywhere, "imp-org@example.org"),
        ):
            branch = "north" if key != "imp_south" else "south"
            file = csv_bytes((row, "Imported", "Person", "student", branch, "", ""))
            ids[key] = imports.start_import(io.BytesIO(file), f"{key}.csv", "dry_run", False, actor, scope).id
        ids.update(matrix_roster_ids(acting_admin))  # a OneRoster integration and a dry run of it to commit
    run_jobs(app)
    world.emails = {}
    with tenant_context(tenant, app):
        for key, user_id in list(ids.items()):
            if isinstance(user_id, int) and key in USER_KEYS:
                world.emails[key] = db.session.get(User, user_id).email
        # notifications: an unread one of each acting person, and s_south's (nobody else's to touch)
        for key in ("admin", "bm_north", "t1", "s_north", "s_south"):
            context = {"announcement": {"title": f"For {key}", "body": "Matrix.", "author": "Admin"}}
            notify("announcement", [ids[key]], source_key=f"matrix:{key}", context=context)
            db.session.commit()
            ids[f"notification_{key}"] = db.session.scalar(
                sa.select(Notification.id).where(Notification.source_key == f"matrix:{key}")
            )
    run_jobs(app)  # the notifications' e-mails
    with tenant_context(tenant, app):  # part "hooks": webhook integrations, endpoints, deliveries
        ids.update(webhook_rows())
    with tenant_context(tenant, app):  # part "audit": an entry of the trail (making the world left many)
        ids["audit_entry"] = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    return world


def _scoped(service, *args, scope):
    """Call a service that takes the actor's scope, or (before the access-control changes) does not."""
    if "scope" in inspect.signature(service).parameters:
        return service(*args, scope=scope)
    return service(*args)


USER_KEYS = ("admin", "admin2", "bm_north", "bm_south", "t1", "t2", "s_north", "s_north2", "s_north3", "s_south")


# --- snapshots ------------------------------------------------------------------------------------

# Written on use, not by what a request asks: a key records its last use at most once a minute.
VOLATILE_COLUMNS = {("api_keys", "last_used_at")}


# Columns naming a file in the media storage: a case that deletes one (a course, a file, an erasure withdrawing
# reports and certificate copies) has it put back with the rows.
STORED_FILE_COLUMNS = (
    ("media_files", "storage_key"),
    ("courses", "cover_key"),
    ("reports", "file_key"),
    ("certificates", "pdf_key"),
    ("certificate_archives", "file_key"),
    ("certificate_templates", "background_key"),
    ("badges", "image_key"),
    ("question_versions", "image_key"),
    ("data_exports", "file_key"),
)


class TenantSnapshots:
    """SELECT * of every tenant table (and the organization's registry row), compared and restored.

    Restoring rewrites only the tables that differ, with foreign keys off for the connection, so that
    no cascade reaches a table that did not change."""

    def __init__(self, app, tenant):
        self.app, self.tenant = app, tenant
        self.url = sa.engine.make_url(tenant.database_url)
        self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        metadata = sa.MetaData()
        metadata.reflect(self.engine)
        with warnings.catch_warnings():  # integrations <-> api_keys refer to each other: no order, none needed here
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            self.tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
        self.connection = self.engine.connect()
        if self.sqlite:
            self.connection.exec_driver_sql("PRAGMA busy_timeout=5000")
            self.connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        self.connection.commit()

    def _rows(self, table):
        columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
        order = list(table.primary_key.columns) or columns
        rows = self.connection.execute(sa.select(*columns).order_by(*order)).all()
        return [tuple(row) for row in rows]

    def take(self):
        taken = {table.name: self._rows(table) for table in self.tables}
        self.connection.commit()  # end the read transaction: the app's writers must not wait for us
        taken["<registry>"] = self._registry()
        return taken

    def _registry(self):
        with self.app.app_context():
            row = db.session.get(Tenant, self.tenant.id)
            return [(row.name, row.status, repr(sorted((row.settings or {}).items())))]

    def restore(self, baseline, current):
        # rows put back as they were (the outbox's with them), around the app: no writer's change to announce
        with memberships_written_without_event("the world's rows are put back as the baseline had them"):
            self._restore(baseline, current)

    def _restore(self, baseline, current):
        changed = [t for t in self.tables if baseline[t.name] != current[t.name]]
        if {table for table, _column in STORED_FILE_COLUMNS} & {t.name for t in changed}:
            self._restore_files()
        if changed:
            if not self.sqlite:
                self.connection.exec_driver_sql("SET session_replication_role = replica")
            for table in reversed(changed):
                self.connection.execute(table.delete())
            for table in changed:
                rows = self.full_rows[table.name]
                if rows:
                    self.connection.execute(table.insert(), rows)
            if not self.sqlite:
                self.connection.exec_driver_sql("SET session_replication_role = DEFAULT")
            self.connection.commit()
        if baseline["<registry>"] != current["<registry>"]:
            self._restore_registry()
        if changed or baseline["<registry>"] != current["<registry>"]:
            restored = differences(baseline, self.take())
            assert not restored, f"the world was not restored: {sorted(restored)}"

    def remember(self):
        """The baseline to come back to: every column, for restoring (volatile ones included)."""
        self.full_rows = {
            table.name: [dict(row._mapping) for row in self.connection.execute(sa.select(table))]
            for table in self.tables
        }
        self.connection.commit()
        with self.app.app_context():
            row = db.session.get(Tenant, self.tenant.id)
            self.registry_row = SimpleNamespace(name=row.name, status=row.status, settings=dict(row.settings or {}))
            self.files = self._files()
        return self.take()

    def _files(self):
        """The bytes of every stored file the baseline names: deletes (and erasures) remove them."""
        storage = media_storage()
        keys = [
            row[column]
            for table, column in STORED_FILE_COLUMNS
            for row in self.full_rows.get(table, ())
            if row[column] and storage._path(row[column]).exists()  # local storage: the tests' configuration
        ]
        files = {}
        for key in keys:
            with storage.open(key) as stored:
                files[storage._path(key)] = stored.read()
        return files

    def _restore_files(self):
        for path, data in self.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)

    def _restore_registry(self):
        with self.app.app_context():
            row = db.session.get(Tenant, self.tenant.id)
            row.name, row.status, row.settings = (
                self.registry_row.name,
                self.registry_row.status,
                dict(self.registry_row.settings),
            )
            db.session.commit()

    def close(self):
        self.connection.close()
        self.engine.dispose()


def differences(before, after):
    """{table: (rows only before, rows only after)} for the tables that differ."""
    found = {}
    for name in before:
        if before[name] != after.get(name):
            gone = [row for row in before[name] if row not in after.get(name, [])]
            new = [row for row in after.get(name, []) if row not in before[name]]
            found[name] = (gone, new)
    return found
