"""The CSV formula guard holds against look-alike characters, not only the ASCII ones."""

import csv
import io

import pytest

from app.csv_safety import safe_cell

LOOK_ALIKES = [
    '\uff1dHYPERLINK("https://evil.example","x")',  # fullwidth equals sign
    "\ufe66SUM(A1:A9)",  # small equals sign
    "\uff0b1+1",  # fullwidth plus
    "\uff0d1+1",  # fullwidth hyphen-minus
    "\u22121+1",  # minus sign
    "\uff20SUM(A1)",  # fullwidth commercial at
    "  =1+1",  # leading spaces
    "\u3000=1+1",  # ideographic space
    "\t=1+1",
    "\r=1+1",
    "\nplain after a line break",
]


@pytest.mark.parametrize("cell", LOOK_ALIKES)
def test_look_alike_formulas_are_written_as_text(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Ann", "O'Neil", "a=b", "Zoë", "\uff21nna", "", "42", "ann@example.org"])
def test_ordinary_cells_are_left_alone(cell):
    assert safe_cell(cell) == cell


def test_the_people_export_neutralises_a_fullwidth_formula(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    formula = '\uff1dHYPERLINK("https://evil.example","Click")'
    created = admin.post(
        "/api/v1/users",
        json={"email": "fw@example.org", "first_name": formula, "last_name": "Lee", "role": "student"},
    )
    assert created.status_code == 201
    exported = admin.get("/api/v1/users?format=csv&filter[email]=fw@example.org").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert [row["first_name"] for row in rows] == ["'" + formula]
