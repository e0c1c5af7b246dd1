"""Streamed file downloads (CSV exports and reports)."""

from flask import Response, stream_with_context


def csv_download(chunks, filename):
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
