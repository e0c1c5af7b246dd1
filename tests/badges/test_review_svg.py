"""Review of issue 13: a hostile SVG upload is a 422, never a server error."""

import io

from tests.support.badges import badge_course, create_badge


def test_a_deeply_nested_svg_is_refused_not_a_server_error(app, school):
    """2 MB hold 100 000 nested groups: cleaning them recursively overflowed the stack (a 500)."""
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id)
    depth = 50_000
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * depth + b"</g>" * depth + b"</svg>"
    response = teacher.put(f"/api/v1/badges/{badge['id']}/image", data={"file": (io.BytesIO(svg), "deep.svg")})
    assert response.status_code == 422, response.get_data()[:300]
    assert "image" in response.get_json()["error"]["details"]
