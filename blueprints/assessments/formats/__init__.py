"""Question text formats teachers bring from other systems: GIFT (Moodle) and Aiken (Moodle, TalentLMS).

Parsers are pure (no database, no app context): they turn a file into `ParsedQuestion`s shaped like
docs/assessments.md and a list of `ParseError`s a teacher can act on. Exporters write the same shapes back.
"""

from blueprints.assessments.formats.aiken import aiken_skip_reason, export_aiken, parse_aiken
from blueprints.assessments.formats.gift import export_gift, gift_skip_reason, parse_gift
from blueprints.assessments.formats.parsed import ExportedQuestion, ParsedQuestion, ParseError, ParseResult

__all__ = [
    "ExportedQuestion",
    "ParseError",
    "ParseResult",
    "ParsedQuestion",
    "aiken_skip_reason",
    "export_aiken",
    "export_gift",
    "gift_skip_reason",
    "parse_aiken",
    "parse_gift",
]
