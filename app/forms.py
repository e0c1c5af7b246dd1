"""Helpers shared by every page that has a form."""


def apply_domain_error(form, error):
    """Show a service's field errors next to the form's fields (the rest above the form)."""
    shown = False
    for field_name, messages in (error.details or {}).items():
        field = getattr(form, field_name, None)
        if field is not None:
            field.errors = [*list(field.errors), *messages]
            shown = True
    if not shown:
        form.form_errors.append(error.message)
