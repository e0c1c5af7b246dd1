"""questions referenced by quizzes and attempts: checked at commit instead of RESTRICT, so a cascade removes both

Deleting a course (one nobody took) cascades to its bank's questions and to its quizzes, whose slots and
attempts' questions reference those questions. RESTRICT is checked at once, row by row, so on PostgreSQL the
cascade failed (a 500) whenever it reached a question before the slots using it; NO ACTION, checked when its
trigger fires, failed the same way. DEFERRABLE INITIALLY DEFERRED is checked at commit, when the cascade has
removed the slots too; deleting a question that a quiz or an attempt still uses is still refused (at commit).

Revision ID: 0014_quizzes_question_fks
Revises: 0013_assessments
Create Date: 2026-11-25 16:40:00
"""

from alembic import op

revision = '0014_quizzes_question_fks'
down_revision = '0013_assessments'
branch_labels = None
depends_on = None

REFERENCES = (
    ('quiz_slots', 'question_id', 'questions'),
    ('attempt_questions', 'question_id', 'questions'),
    ('attempt_questions', 'version_id', 'question_versions'),
)


def _reference(**options):
    for table, column, target in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            name = batch_op.f(f'fk_{table}_{column}_{target}')
            batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.create_foreign_key(name, target, [column], ['id'], **options)


def upgrade():
    _reference(deferrable=True, initially='DEFERRED')


def downgrade():
    _reference(ondelete='RESTRICT')
