"""A report's rows written to a file, a row at a time: CSV, XLSX or (summaries) PDF.

Every writer takes the kind's columns and an iterable of rows (tuples, one value per column: text, a number, a
date or a datetime, or None) and writes them to a binary file object; none keeps more than a row in memory
except the PDF writer, which is for summaries (a page or two of rows).

- CSV: UTF-8 with a BOM (spreadsheets then read the accents right), every cell through
  `app.csv_safety.safe_cell` (a cell that would run as a formula is shown as text).
- XLSX: XlsxWriter in `constant_memory` mode (each row is flushed to a temporary file as it is written); dates
  as dates, numbers as numbers, every string with `write_string` (never parsed as a formula); the header row
  bold and frozen.
- PDF: an HTML table made into a PDF by the certificates' renderer (its embedded fonts write any script):
  the organization's name, the report's title, its parameters and when it was made.
"""

import codecs
import csv
import io
from datetime import date, datetime

import xlsxwriter
from jinja2 import Environment

from app.csv_safety import safe_cell
from blueprints.certificates.rendering import FONT_STACK, html_to_pdf, shape_arabic
from blueprints.reports.kinds import DATE, DATETIME, NUMBER

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
DATETIME_TEXT = "%Y-%m-%d %H:%M"  # UTC, as everywhere in reports
MAX_SHEET_ROWS = 1_048_575  # a worksheet holds 1 048 576 rows, the header included


def cell_text(value):
    """A value as the text of a CSV cell or a PDF table cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")  # DATETIME_TEXT, at a tenth of strftime's cost
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def safe_text(text):
    """`safe_cell(text)`, with a shortcut for the cells most reports are made of: one that starts with an ASCII
    letter or digit cannot be read as a formula (nothing to strip, NFKC keeps it), so it is kept as it is."""
    first = text[:1]
    if first.isascii() and first.isalnum():
        return text
    return safe_cell(text)


def write_csv(out, columns, rows, progress=None, **_context):
    """CSV with a BOM; returns the number of rows written."""
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow([safe_cell(column.header) for column in columns])
        count = 0
        for count, row in enumerate(rows, start=1):
            writer.writerow([safe_text(cell_text(value)) for value in row])
            if progress:
                progress(count)
        text.flush()
    finally:
        text.detach()  # leave `out` open: the caller stores it
    return count


def write_xlsx(out, columns, rows, progress=None, title="Report", **_context):
    """XLSX, a row at a time; returns the number of rows written. Past a sheet's 1 048 575 rows the report
    goes on in a second sheet (and a third...)."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
            "remove_timezone": True,
        },
    )
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    writers = [_xlsx_cell_writer(column.type, date_format, datetime_format) for column in columns]
    sheet_name = _sheet_name(title)

    def new_sheet(number):
        sheet = workbook.add_worksheet(sheet_name if number == 1 else f"{sheet_name[:25]} ({number})")
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.header, bold)
            sheet.set_column(index, index, max(10, min(40, len(column.header) + 4)))
        sheet.freeze_panes(1, 0)
        return sheet

    sheet, sheets, line, count = new_sheet(1), 1, 0, 0
    for count, row in enumerate(rows, start=1):
        if line == MAX_SHEET_ROWS:
            sheets += 1
            sheet, line = new_sheet(sheets), 0
        line += 1
        for index, value in enumerate(row):
            if value is not None:
                writers[index](sheet, line, index, value)
        if progress:
            progress(count)
    workbook.close()
    return count


def _sheet_name(title):
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return (cleaned or "Report")[:31]


def _xlsx_cell_writer(kind, date_format, datetime_format):
    def text(sheet, line, index, value):
        sheet.write_string(line, index, str(value))  # never a formula, a number or a URL

    def number(sheet, line, index, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return text(sheet, line, index, value)
        sheet.write_number(line, index, value)

    def when(sheet, line, index, value):
        if isinstance(value, datetime):
            sheet.write_datetime(line, index, value, datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(line, index, datetime(value.year, value.month, value.day), date_format)
        else:
            text(sheet, line, index, value)

    return {NUMBER: number, DATE: when, DATETIME: when}.get(kind, text)


# `font_stack` is ours (quoted family names): escaped, its quotes would become &#34; and xhtml2pdf would fall
# back to Helvetica, which has no Arabic, Cyrillic or CJK letters.
_PDF_TEMPLATE = Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
@page { size: a4 {{ orientation }}; margin: 14mm 12mm; }
html, body { font-family: {{ font_stack|safe }}; font-size: 9pt; color: #1f2328; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; }
p.organization { font-size: 11pt; margin: 0 0 1mm 0; color: #3d4450; }
p.meta { margin: 0 0 1mm 0; }
table { width: 100%; border-collapse: collapse; margin-top: 4mm; }
th { background-color: #e8ebef; font-weight: bold; text-align: left; }
th, td { border: 0.5pt solid #9aa3ad; padding: 1.5mm; vertical-align: top; }
td.number { text-align: right; }
</style></head>
<body>
<p class="organization">{{ organization }}</p>
<h1>{{ title }}</h1>
{% for name, value in parameters %}<p class="meta">{{ name }}: {{ value }}</p>
{% endfor %}<p class="meta">Generated {{ generated_at }} UTC</p>
<table repeat="1">
<thead><tr>{% for header in headers %}<th>{{ header }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for value, numeric in row %}
<td{% if numeric %} class="number"{% endif %}>{{ value }}</td>{% endfor %}</tr>
{% else %}<tr><td colspan="{{ headers|length }}">No rows.</td></tr>
{% endfor %}</tbody>
</table>
</body></html>"""
)


def write_pdf(out, columns, rows, progress=None, title="Report", organization="", parameters=(), generated_at=None):
    """A PDF table (summaries: they fit in memory); returns the number of rows written."""
    table = []
    for count, row in enumerate(rows, start=1):
        table.append(
            [
                (shape_arabic(cell_text(value)), column.type == NUMBER)
                for value, column in zip(row, columns, strict=True)
            ]
        )
        if progress:
            progress(count)
    document = _PDF_TEMPLATE.render(
        title=title,
        organization=shape_arabic(organization),
        parameters=[(name, shape_arabic(str(value))) for name, value in parameters],
        generated_at=(generated_at or datetime.now()).strftime(DATETIME_TEXT),
        headers=[column.header for column in columns],
        rows=table,
        font_stack=FONT_STACK,
        orientation="landscape" if len(columns) > 6 else "portrait",
    )
    out.write(html_to_pdf(document))
    return len(table)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
