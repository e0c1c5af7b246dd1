"""The shape of a learner's response per question kind (docs/assessments.md), checked before autosave stores it.

A response that names an option, item, prompt or blank the question does not have is refused like a wrong
shape: a 422 with the field that is wrong, never a 500 and never a stored answer that grading would choke on.
An empty response (`{}`) is always accepted: it clears the answer.
"""

from blueprints.assessments.models import QuestionKind

MAX_TEXT = 20_000  # an essay of a few thousand words; short answers and blanks are far shorter
MAX_SHORT_TEXT = 500


def _ids(items):
    return {item["id"] for item in items}


def _text(value, limit, name, errors):
    if not isinstance(value, str):
        errors[name] = ["Must be text."]
    elif len(value) > limit:
        errors[name] = [f"At most {limit} characters."]


def _single(spec, response, errors):
    if response["choice"] not in _ids(spec["options"]):
        errors["choice"] = ["Not one of this question's options."]


def _multiple(spec, response, errors):
    choices = response["choices"]
    if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
        errors["choices"] = ["Must be a list of option ids."]
    elif not set(choices) <= _ids(spec["options"]) or len(set(choices)) != len(choices):
        errors["choices"] = ["Each must be one of this question's options, once."]


def _true_false(_spec, response, errors):
    if not isinstance(response["value"], bool):
        errors["value"] = ["Must be true or false."]


def _short(_spec, response, errors):
    _text(response["text"], MAX_SHORT_TEXT, "text", errors)


def _numeric(_spec, response, errors):
    value = response["value"]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors["value"] = ["Must be a number, as text or a number."]
    elif isinstance(value, str) and len(value) > 50:
        errors["value"] = ["At most 50 characters."]


def _ordering(spec, response, errors):
    order = response["order"]
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(_ids(spec["items"])):
        errors["order"] = ["Must list each of this question's items once."]


def _matching(spec, response, errors):
    matches = response["matches"]
    answers = {pair["answer"] for pair in spec["pairs"]} | set(spec.get("distractors") or [])
    if not isinstance(matches, dict) or not set(matches) <= _ids(spec["pairs"]):
        errors["matches"] = ["Must map this question's prompts to answers."]
    elif not all(isinstance(answer, str) and answer in answers for answer in matches.values()):
        errors["matches"] = ["Each answer must be one of those offered."]


def _blanks(spec, response, errors):
    blanks = response["blanks"]
    if not isinstance(blanks, dict) or not set(blanks) <= _ids(spec["blanks"]):
        errors["blanks"] = ["Must map this question's blanks to texts."]
        return
    for blank_id, text in blanks.items():
        _text(text, MAX_SHORT_TEXT, f"blanks.{blank_id}", errors)


def _essay(_spec, response, errors):
    _text(response["text"], MAX_TEXT, "text", errors)


CHECKS = {
    QuestionKind.SINGLE: ("choice", _single),
    QuestionKind.MULTIPLE: ("choices", _multiple),
    QuestionKind.TRUE_FALSE: ("value", _true_false),
    QuestionKind.SHORT: ("text", _short),
    QuestionKind.NUMERIC: ("value", _numeric),
    QuestionKind.ORDERING: ("order", _ordering),
    QuestionKind.MATCHING: ("matches", _matching),
    QuestionKind.BLANKS: ("blanks", _blanks),
    QuestionKind.ESSAY: ("text", _essay),
}


def check_response(kind, spec, response):
    """{field: [messages]} (field names prefixed `response.`); empty when the response may be stored."""
    if not isinstance(response, dict):
        return {"response": ["Must be an object (see the question's kind)."]}
    if not response:
        return {}
    key, check = CHECKS[kind]
    unknown = set(response) - {key}
    if unknown:
        return {"response": [f"Only `{key}` is answered for this kind of question; not {', '.join(sorted(unknown))}."]}
    if response[key] is None:
        return {}
    errors = {}
    check(spec, response, errors)
    return {f"response.{name}": messages for name, messages in errors.items()}
