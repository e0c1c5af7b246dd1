"""Courses, their outline (modules of content items), immutable content versions, enrollments, progress."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class CourseStatus:
    DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
    ALL = (DRAFT, PUBLISHED, ARCHIVED)


class Course(TenantModel):
    __tablename__ = "courses"

    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(200), nullable=False)
    slug = sa.Column(sa.String(120), nullable=False, unique=True)
    summary = sa.Column(sa.String(500), nullable=False, default="")
    description_html = sa.Column(sa.Text, nullable=False, default="")  # sanitised with nh3 on save
    status = sa.Column(sa.String(20), nullable=False, default=CourseStatus.DRAFT, index=True)
    self_enrollment = sa.Column(sa.Boolean, nullable=False, default=False)
    due_days = sa.Column(sa.Integer)  # an enrollment is due this many days after it starts
    estimated_minutes = sa.Column(sa.Integer)
    cover_key = sa.Column(sa.String(300))  # a JPEG in the media storage, re-encoded from the upload
    cover_updated_at = sa.Column(sa.DateTime)  # in the cover's URL, so that browsers may cache it for long
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))  # or a key
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


course_branches = sa.Table(  # no rows: the whole organization
    "course_branches",
    Course.metadata,  # the tenant bind's metadata (the abstract base still has the default one)
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
)
course_teachers = sa.Table(
    "course_teachers",
    Course.metadata,  # the tenant bind's metadata (the abstract base still has the default one)
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
course_classes = sa.Table(  # classes enrolled as a whole: their new members are enrolled too
    "course_classes",
    Course.metadata,  # the tenant bind's metadata (the abstract base still has the default one)
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
)
course_prerequisites = sa.Table(
    "course_prerequisites",
    Course.metadata,  # the tenant bind's metadata (the abstract base still has the default one)
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("prerequisite_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class CourseModule(TenantModel):
    __tablename__ = "course_modules"

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    title = sa.Column(sa.String(200), nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)


class ContentKind:
    TEXT, VIDEO, FILE, LINK, ASSESSMENT = "text", "video", "file", "link", "assessment"
    ALL = (TEXT, VIDEO, FILE, LINK, ASSESSMENT)


class ContentItem(TenantModel):
    __tablename__ = "content_items"

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    module_id = sa.Column(
        sa.Integer, sa.ForeignKey("course_modules.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = sa.Column(sa.String(20), nullable=False)
    title = sa.Column(sa.String(200), nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    published_version = sa.Column(sa.Integer)  # the version number learners see
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ContentVersion(TenantModel):
    """Immutable: an edit is a new version; restoring copies an old one forward."""

    __tablename__ = "content_versions"
    __table_args__ = (sa.UniqueConstraint("item_id", "number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    number = sa.Column(sa.Integer, nullable=False)
    body = sa.Column(sa.Text, nullable=False, default="")  # sanitised HTML for text; a URL for video and links
    change_note = sa.Column(sa.String(300), nullable=False, default="")
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))  # or a key
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Enrollment(TenantModel):
    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("course_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    class_id = sa.Column(sa.Integer, sa.ForeignKey("classes.id", ondelete="SET NULL"))  # enrolled with a class
    status = sa.Column(sa.String(20), nullable=False, default="active")  # active or unenrolled (history kept)
    self_enrolled = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())  # may leave
    enrolled_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    due_at = sa.Column(sa.DateTime)
    completed_at = sa.Column(sa.DateTime)
    last_item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="SET NULL"))  # resume here
    seconds_spent = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")  # all items together
    last_reported_at = sa.Column(sa.DateTime)  # the last time report: credit never outruns the clock


class ItemProgress(TenantModel):
    __tablename__ = "item_progress"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "item_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    completed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ItemTime(TenantModel):
    """Seconds a learner spent on an item, reported by the player while the page is in view and in use."""

    __tablename__ = "item_time"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "item_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class MediaFile(TenantModel):
    """A file attached to a content item; the bytes live in the media storage under `storage_key`."""

    __tablename__ = "media_files"

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    filename = sa.Column(sa.String(255), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)  # from the bytes, never from the name
    size = sa.Column(sa.BigInteger, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)
    storage_key = sa.Column(sa.String(300), nullable=False, unique=True)
    uploaded_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))  # or a key
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
