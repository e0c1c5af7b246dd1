"""Outgoing e-mail: composed by services, sent over SMTP by an RQ job.

    send_mail_later(tenant, to="a@example.org", subject="…", text="…")

Settings: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_DEFAULT_SENDER. In development `make run` starts a local SMTP sink
(scripts/mail_sink.py) that keeps every message under instance/outbox/ for the operator to read.
"""

import smtplib
import ssl
from contextlib import contextmanager
from email import charset as charsets
from email import policy as policies
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app

from app.jobs import enqueue
from app.tenancy.context import get_current_tenant

ORGANIZATION_HEADER = "X-Tessera-Organization"


def build_message(to, subject, text, html=None, sender=None, *, message_id=None, headers=None):
    """An e-mail ready to send; `message_id` keeps a Message-ID chosen before (a resend is the same message),
    `headers` adds others (e.g. List-Unsubscribe)."""
    message = EmailMessage()
    message["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="tessera")
    for name, value in (headers or {}).items():
        message[name] = value
    message["Date"] = formatdate(usegmt=True)
    tenant = get_current_tenant()
    if tenant is not None:  # which organization sent it: the development outbox filters on it
        message[ORGANIZATION_HEADER] = tenant.slug
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


UTF8_QP = charsets.Charset("utf-8")
UTF8_QP.body_encoding = charsets.QP  # readable in the development outbox, unlike base64; 7-bit safe
# Headers folded only past RFC 5322's hard limit: a long List-Unsubscribe URL stays on one line (some mail
# clients do not unfold inside its <...>).
BULK_POLICY = policies.compat32.clone(max_line_length=998)


def _header(value):
    """A header value as compat32 wants it: as is when ASCII, else RFC 2047 encoded."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(value):
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def build_bulk_message(to, subject, text, html, *, sender=None, message_id=None, headers=None):
    """The same message as `build_message`, built with the `email.mime` classes (compat32) instead of
    EmailMessage's default policy, which parses every header it is given: for senders of thousands of
    messages (notifications), it costs a tenth of the CPU. Recipients see no difference."""
    message = MIMEMultipart("alternative", policy=BULK_POLICY)
    message["From"] = _address(sender or current_app.config["MAIL_DEFAULT_SENDER"])
    message["To"] = _address(to)
    message["Subject"] = _header(subject)
    message["Message-ID"] = message_id or make_msgid(domain="tessera")
    message["Date"] = formatdate(usegmt=True)
    tenant = get_current_tenant()
    if tenant is not None:
        message[ORGANIZATION_HEADER] = tenant.slug
    for name, value in (headers or {}).items():
        message[name] = _header(value)
    message.attach(MIMEText(text, "plain", UTF8_QP))
    message.attach(MIMEText(html, "html", UTF8_QP))
    return message


def send_now(message):
    """Deliver one message through the configured SMTP server."""
    send_many([message])


def send_many(messages):
    """Deliver messages over one SMTP connection."""
    if not messages:
        return
    with smtp_connection() as smtp:
        for message in messages:
            smtp.send_message(message)


@contextmanager
def smtp_connection():
    """An open, signed-in connection to the configured SMTP server, closed (QUIT) on leaving: for a sender that
    handles each message's answer itself (notification e-mails). Raises OSError or smtplib.SMTPException when
    the server cannot be reached or refuses the session."""
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp


def deliver_mail(to, subject, text, html=None):
    """The RQ job: compose and send (retried by RQ when the SMTP server is unreachable)."""
    send_now(build_message(to, subject, text, html))


def send_mail_later(tenant, to, subject, text, html=None):
    return enqueue(tenant, deliver_mail, to, subject, text, html)
