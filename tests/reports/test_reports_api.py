"""Reports through the API and the job: every kind in every format it allows downloads and opens, its rows are
those of direct SQL over the source tables, formula-like names come out as text, each requester gets their own
audience, and nobody else gets the report or its file; expiry, progress and bad parameters."""

import io
import zipfile
from datetime import datetime, timedelta

import pypdf
import pytest
import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.learning.models import Enrollment
from blueprints.reports.audience import report_audience_of
from blueprints.reports.generation import ProgressWriter, expire_reports, requester_actor
from blueprints.reports.kinds import KINDS, NUMBER, Column, validate_params
from blueprints.reports.models import Report
from blueprints.reports.writers import write_pdf
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, spawn_worker, user_token
from tests.support.reports import FORMULA_NAMES, csv_rows, make_report, pdf_text, report_world, xlsx_sheet

TENANT = {"mapper": Enrollment}  # plain SQL goes to the tenant's database


@pytest.fixture
def world(app, tenant, district):
    return report_world(app, tenant, district, make_user)


def finished(app, client, report):
    run_jobs(app)
    done = client.get(f"/api/v1/reports/{report['id']}")
    assert done.status_code == 200, done.get_json()
    data = done.get_json()["data"]
    assert data["status"] == "done", data
    assert data["rows_done"] == data["rows_total"]
    return data


def download(client, report):
    response = client.get(f"/api/v1/reports/{report['id']}/download")
    assert response.status_code == 200, response.get_json()
    assert "attachment" in response.headers["Content-Disposition"]
    return response


PARAMS = {
    "learner_transcript": lambda world: {"user_id": world.people["north"]},
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_in_every_format_it_allows_downloads_and_opens(app, world, kind):
    params = PARAMS.get(kind, lambda _world: {})(world)
    contents = {}
    for format in KINDS[kind].formats:
        report = make_report(world.admin, kind, format, **params)
        assert report["status"] == "queued"
        data = finished(app, world.admin, report)
        assert data["download_url"] == f"/api/v1/reports/{report['id']}/download"
        response = download(world.admin, report)
        assert data["file_name"].endswith(f".{format}") and data["file_name"] in response.headers["Content-Disposition"]
        if format == "csv":
            assert response.mimetype == "text/csv"
            contents["csv"] = csv_rows(response.get_data())
        elif format == "xlsx":
            assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            sheet, rows = xlsx_sheet(response.get_data())
            assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
            contents["xlsx"] = rows
        else:
            assert response.mimetype == "application/pdf"
            contents["pdf"] = pdf_text(response.get_data())
    header = contents["csv"][0]
    assert header == KINDS[kind].headers
    assert contents["xlsx"][0] == header
    assert len(contents["csv"]) == len(contents["xlsx"]) == data["rows_total"] + 1
    assert data["rows_total"] >= 1  # every kind has rows in this world
    if "pdf" in contents:
        words = " ".join(contents["pdf"].split())
        for row in contents["csv"][1:]:
            assert row[0] in words


def _direct_course_completion(app, tenant, branch_id=None):
    """course_completion's rows by plain SQL over enrollments, users, courses, classes, item_progress, content_items."""
    sql = """
        SELECT u.email, c.title, e.completed_at,
               (SELECT count(*) FROM item_progress p WHERE p.enrollment_id = e.id) AS done,
               (SELECT count(*) FROM content_items i WHERE i.course_id = e.course_id) AS items,
               e.seconds_spent
        FROM enrollments e JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id
        WHERE e.status = 'active'
    """
    if branch_id is not None:
        sql += " AND e.user_id IN (SELECT user_id FROM branch_memberships WHERE branch_id = :branch)"
    with tenant_context(tenant, app):
        rows = db.session.execute(sa.text(sql + " ORDER BY e.id"), {"branch": branch_id}, bind_arguments=TENANT).all()
    expected = []
    for email, title, completed_at, done, items, seconds in rows:
        progress = 100.0 if completed_at else (round(min(100.0, 100.0 * done / items), 1) if items else None)
        expected.append((email, title, progress, round(seconds / 60, 1)))
    return expected


def test_course_completion_rows_equal_direct_sql_and_formulas_stay_text(app, world):
    csv_report = make_report(world.admin, "course_completion", "csv")
    xlsx_report = make_report(world.admin, "course_completion", "xlsx")
    finished(app, world.admin, csv_report)
    finished(app, world.admin, xlsx_report)
    rows = csv_rows(download(world.admin, csv_report).get_data())
    _, sheet_rows = xlsx_sheet(download(world.admin, xlsx_report).get_data())
    expected = _direct_course_completion(app, world.tenant)
    assert len(expected) == 7
    got_csv = [(row[1], row[2], float(row[7]) if row[7] else None, float(row[8])) for row in rows[1:]]
    got_xlsx = [(row[1], row[2], row[7], row[8]) for row in sheet_rows[1:]]
    assert got_csv == got_xlsx == expected
    # numbers are numbers, dates are dates in the workbook
    assert all(isinstance(row[4], datetime) for row in sheet_rows[1:])
    assert all(isinstance(row[8], int | float) for row in sheet_rows[1:])
    # formula-like names: a quote in CSV, a plain string in the workbook (never a formula)
    csv_names = {row[0] for row in rows[1:]}
    xlsx_names = {row[0] for row in sheet_rows[1:]}
    for name in FORMULA_NAMES:
        assert "'" + name in csv_names
        assert name in xlsx_names
    workbook_xml = _sheet_xml(download(world.admin, xlsx_report).get_data())
    assert "<f>" not in workbook_xml  # no cell of the sheet holds a formula


def _sheet_xml(data):
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return bundle.read("xl/worksheets/sheet1.xml").decode()


def test_a_branch_managers_report_holds_only_their_branches_people(app, world):
    report = make_report(world.manager, "course_completion", "csv")
    finished(app, world.manager, report)
    rows = csv_rows(download(world.manager, report).get_data())[1:]
    expected = _direct_course_completion(app, world.tenant, branch_id=world.branches["north"])
    assert [(row[1], row[2]) for row in rows] == [(email, title) for email, title, *_ in expected]
    assert "south@example.org" not in {row[1] for row in rows}
    assert len(rows) == 6  # North's learner in two courses, the four others in one

    # a branch out of reach is a 404, as is someone else's report and its file
    outside = world.manager.post(
        "/api/v1/reports",
        json={"kind": "course_completion", "format": "csv", "params": {"branch_id": world.branches["south"]}},
    )
    assert outside.status_code == 404
    admins = make_report(world.admin, "course_completion", "csv")
    run_jobs(app)
    assert world.manager.get(f"/api/v1/reports/{admins['id']}").status_code == 404
    assert world.manager.get(f"/api/v1/reports/{admins['id']}/download").status_code == 404
    assert world.teacher.get(f"/api/v1/reports/{report['id']}/download").status_code == 404
    # an org admin may fetch anyone's, and list them with all=1
    assert world.admin.get(f"/api/v1/reports/{report['id']}/download").status_code == 200
    mine = world.manager.get("/api/v1/reports").get_json()
    assert [item["id"] for item in mine["data"]] == [report["id"]] and mine["meta"]["total"] == 1
    everyone = world.admin.get("/api/v1/reports?all=1").get_json()["data"]
    assert {item["id"] for item in everyone} == {report["id"], admins["id"]}
    assert world.manager.get("/api/v1/reports?all=1").status_code == 400


def test_a_teachers_audience_is_their_courses_and_classes(app, world):
    report = make_report(world.teacher, "overdue_learners", "csv")
    finished(app, world.teacher, report)
    rows = csv_rows(download(world.teacher, report).get_data())[1:]
    assert [(row[1], row[2], row[5]) for row in rows] == [("north@example.org", "North only", "3")]


def test_other_kinds_agree_with_direct_sql(app, world):
    attempts = make_report(world.manager, "assessment_results", "csv")
    summary = make_report(world.admin, "branch_summary", "csv")
    certificates = make_report(world.manager, "certificates_issued", "csv")
    sign_ins = make_report(world.admin, "sign_in_activity", "csv", branch_id=world.branches["south"])
    transcript = make_report(world.admin, "learner_transcript", "pdf", user_id=world.people["north"])
    run_jobs(app)
    rows = csv_rows(download(world.manager, attempts).get_data())[1:]
    assert [(row[1], row[4], row[8], row[9]) for row in rows] == [
        ("north@example.org", "1", "40", "No"),
        ("north@example.org", "2", "80", "Yes"),
    ]
    rows = {row[0]: row for row in csv_rows(download(world.admin, summary).get_data())[1:]}
    # North: 6 enrollments of 5 learners, none completed, one overdue; attempts 40 and 80
    assert rows["North"][1:] == ["5", "6", "0", "1", rows["North"][5], "60"]
    with tenant_context(world.tenant, app):
        north_progress = db.session.execute(
            sa.text(
                "SELECT avg(CASE WHEN i.n > 0 THEN 100.0 * coalesce(p.n, 0) / i.n END) FROM enrollments e "
                "JOIN branch_memberships m ON m.user_id = e.user_id AND m.branch_id = :branch "
                "LEFT JOIN (SELECT course_id, count(*) n FROM content_items GROUP BY course_id) i "
                "ON i.course_id = e.course_id "
                "LEFT JOIN (SELECT enrollment_id, count(*) n FROM item_progress GROUP BY enrollment_id) p "
                "ON p.enrollment_id = e.id WHERE e.status = 'active'"
            ),
            {"branch": world.branches["north"]},
            bind_arguments=TENANT,
        ).scalar()
    assert float(rows["North"][5]) == round(float(north_progress), 1)
    assert rows["South"][1:] == ["1", "1", "100", "0", "100", "90"]
    rows = csv_rows(download(world.manager, certificates).get_data())[1:]
    assert [(row[0], row[2], row[6]) for row in rows] == [("North Learner", "North only", "Valid")]
    rows = csv_rows(download(world.admin, sign_ins).get_data())[1:]
    assert [row[1] for row in rows] == ["south@example.org"]
    text = " ".join(pdf_text(download(world.admin, transcript).get_data()).split())
    assert "Learner transcript" in text and "North only" in text and "Safety for everyone" in text
    assert "Learner: North <north@example.org>" in text  # the person by name, not by id


def test_expiry_gives_410_and_deletes_the_file(app, world):
    report = make_report(world.admin, "course_completion", "csv")
    finished(app, world.admin, report)
    with tenant_context(world.tenant, app):
        row = db.session.get(Report, report["id"])
        key = row.file_key
        assert row.expires_at - row.finished_at == timedelta(days=7)
        with media_storage().open(key) as stored:
            assert stored.read(3) == b"\xef\xbb\xbf"
        assert expire_reports(now=utcnow() + timedelta(days=8)) == 1
        assert db.session.get(Report, report["id"]).status == "expired"
        with pytest.raises(FileNotFoundError):
            media_storage().open(key)
    gone = world.admin.get(f"/api/v1/reports/{report['id']}/download")
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "REPORT_EXPIRED"


def test_before_it_is_done_the_download_is_409(app, world):
    report = make_report(world.admin, "course_completion", "xlsx")
    early = world.admin.get(f"/api/v1/reports/{report['id']}/download")
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "REPORT_NOT_READY"
    assert world.admin.get(f"/api/v1/reports/{report['id']}").get_json()["data"]["download_url"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nope", "format": "csv"}, "kind"),
        ({"kind": "course_completion", "format": "pdf"}, "format"),
        ({"kind": "learner_transcript", "format": "csv"}, "user_id"),
        ({"kind": "assessment_results", "format": "csv", "params": {"date_from": "2026-13-01"}}, "date_from"),
        (
            {
                "kind": "assessment_results",
                "format": "csv",
                "params": {"date_from": "2026-05-02", "date_to": "2026-05-01"},
            },
            "date_from",
        ),
        (
            {
                "kind": "assessment_results",
                "format": "csv",
                "params": {"date_from": "2024-01-01", "date_to": "2026-01-01"},
            },
            "date_to",
        ),
        ({"kind": "course_completion", "format": "csv", "params": {"course_id": "x"}}, "course_id"),
        ({"kind": "course_completion", "format": "csv", "params": {"course_id": 2**40}}, "course_id"),
        ({"kind": "course_completion", "format": "csv", "params": {"branch_id": True}}, "branch_id"),
        ({"kind": "assessment_results", "format": "csv", "params": {"date_to": 20260101}}, "date_to"),
        ({"kind": "course_completion", "format": "csv", "params": {"date_from": "2026-01-01"}}, "date_from"),
        ({"kind": "course_completion", "format": "csv", "params": {"colour": "red"}}, "colour"),
        ({"kind": "course_completion", "format": "csv", "params": ["x"]}, "params"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(world, body, field):
    response = world.admin.post("/api/v1/reports", json=body)
    assert response.status_code in (400, 422), response.get_json()
    assert field in response.get_json()["error"]["details"], response.get_json()


def test_a_person_out_of_reach_or_unknown_is_404(app, world):
    for user_id in (world.people["south"], 999_999):
        response = world.manager.post(
            "/api/v1/reports", json={"kind": "learner_transcript", "format": "csv", "params": {"user_id": user_id}}
        )
        assert response.status_code == 404


def test_an_api_key_with_a_branch_role_gets_no_rows_and_its_own_reports_only(app, api, world):
    with tenant_context(world.tenant, app):
        token = user_token(app, world.tenant, make_user(app, world.tenant, "org_admin"), "org_admin")
    other_admin = api(world.tenant, token)
    created = other_admin.post("/api/v1/api-keys", json={"name": "bi", "roles": ["branch_manager"]})
    assert created.status_code == 201, created.get_json()
    key = api(world.tenant)
    key_headers = {"X-API-Key": created.get_json()["data"]["key"]}
    response = key.post("/api/v1/reports", json={"kind": "course_completion", "format": "csv"}, headers=key_headers)
    assert response.status_code == 202, response.get_json()
    report = response.get_json()["data"]
    run_jobs(app)
    file = key.get(f"/api/v1/reports/{report['id']}/download", headers=key_headers)
    assert file.status_code == 200
    assert csv_rows(file.get_data()) == [KINDS["course_completion"].headers]
    assert world.manager.get(f"/api/v1/reports/{report['id']}").status_code == 404


def test_the_job_writes_its_progress_and_records_a_failure_in_words(app, world):
    report = make_report(world.manager, "course_completion", "csv")
    with tenant_context(world.tenant, app):
        row = db.session.get(Report, report["id"])
        row.params = {"branch_id": world.branches["south"]}  # out of the manager's reach by the time it runs
        db.session.commit()
    run_jobs(app)
    data = world.manager.get(f"/api/v1/reports/{report['id']}").get_json()["data"]
    assert data["status"] == "failed" and "no longer valid" in data["error"]
    assert world.manager.get(f"/api/v1/reports/{report['id']}/download").status_code == 409


def test_report_ready_is_announced_once_done(app, world):
    report = make_report(world.manager, "overdue_learners", "xlsx")
    finished(app, world.manager, report)
    with tenant_context(world.tenant, app):
        events = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "report.ready")).all()
        payloads = [event.payload for event in events]
    assert [(p["report_id"], p["kind"], p["requested_by_id"], p["schedule_id"]) for p in payloads] == [
        (report["id"], "overdue_learners", report["requested_by_id"], None)
    ]


def test_progress_is_written_while_the_rows_stream(app, world):
    """The job's progress goes through a connection of its own while the streaming cursor is open (a commit
    in the streaming session would close it): on both databases, the row shows it and the stream goes on."""
    report = make_report(world.admin, "course_completion", "csv")
    kind = KINDS["course_completion"]
    with tenant_context(world.tenant, app):
        actor = requester_actor(db.session.get(Report, report["id"]))
        audience = report_audience_of(actor)
        params = validate_params(kind, {}, actor)
        rows = kind.rows(params, audience)
        first = next(rows)
        progress = ProgressWriter(report["id"])
        progress.write(1)
        rest = list(rows)
        engine = db.session.get_bind(mapper=sa.inspect(Report))
        with engine.connect() as connection:
            written = connection.execute(sa.select(Report.rows_done).where(Report.id == report["id"])).scalar()
    assert written == 1
    assert 1 + len(rest) == 7 and first[1] == "south@example.org"


def test_a_forked_worker_makes_the_report(app, world):
    report = make_report(world.admin, "sign_in_activity", "xlsx")
    worker = spawn_worker(app)  # a forking RQ worker process, as in production
    assert worker.wait(timeout=120) == 0
    data = world.admin.get(f"/api/v1/reports/{report['id']}").get_json()["data"]
    assert data["status"] == "done" and data["rows_total"] >= 7
    _, rows = xlsx_sheet(download(world.admin, report).get_data())
    assert len(rows) == data["rows_total"] + 1


def test_a_requester_demoted_before_the_job_runs_gets_a_failure_not_rows(app, world):
    report = make_report(world.manager, "course_completion", "csv")
    with tenant_context(world.tenant, app):
        manager = db.session.get(User, report["requested_by_id"])
        manager.role = "student"
        db.session.commit()
    run_jobs(app)
    with tenant_context(world.tenant, app):
        row = db.session.get(Report, report["id"])
        assert (row.status, row.file_key) == ("failed", None)
        assert "may no longer make reports" in row.error


def test_a_pdf_report_writes_any_script_with_the_embedded_fonts():
    columns = [Column("Learner"), Column("Progress %", NUMBER)]
    names = ["Ана Петрова", "Zoë Ødegård", "李小龍"]
    out = io.BytesIO()
    write_pdf(out, columns, [(name, 50) for name in names], title="Branch summary", organization="Ακαδημία")

    pdf = out.getvalue()
    text = pdf_text(pdf)
    assert all(name in text for name in names) and "Ακαδημία" in text
    fonts = {
        str(reference.get_object()["/BaseFont"]).split("+")[-1]
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
        for reference in page["/Resources"]["/Font"].values()
    }
    assert "DejaVuSans" in fonts and "DroidSansFallback" in fonts, fonts  # not Helvetica, which has none of them
