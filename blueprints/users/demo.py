"""The users feature's part of the demo: one login per role (the organization made the admin already)."""

from blueprints.users.services import create_user, find_user_by_email

DEMO_PEOPLE = [
    ("admin@demo.example", "org_admin", "Ada", "Admin"),
    ("manager@demo.example", "branch_manager", "Mona", "Manager"),
    ("teacher@demo.example", "teacher", "Tom", "Teacher"),
    ("student@demo.example", "student", "Sam", "Student"),
    ("student2@demo.example", "student", "Sasha", "Learner"),
]


def seed_people(password):
    for email, role, first, last in DEMO_PEOPLE:
        if find_user_by_email(email) is None:
            create_user(email, role, first, last, password)
            yield f"created {role} {email}"
