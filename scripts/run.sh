#!/usr/bin/env bash
# `make run`: migrate, seed the demo organization, start Redis, an RQ worker, the event relay and the web server.
# Ctrl-C stops everything this script started; running it again reuses what exists.
set -euo pipefail
cd "$(dirname "$0")/.."

export FLASK_APP=wsgi
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
port=${PORT:-5000}
export LMS_BASE_DOMAIN=${LMS_BASE_DOMAIN:-localhost:$port}
export LMS_OUTBOX_DIR=${LMS_OUTBOX_DIR:-$PWD/instance/outbox}
export MAIL_PORT=${MAIL_PORT:-8025}
mkdir -p instance/redis instance/logs

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "Stopping Tessera (worker, mail sink, Redis)…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis_answers() { .venv/bin/python -c "import redis,os; redis.Redis.from_url(os.environ['REDIS_URL']).ping()" 2>/dev/null; }
if redis_answers; then
  echo "Using the Redis already answering at $REDIS_URL"
else
  redis_port=$(.venv/bin/python -c "from urllib.parse import urlparse; import os; print(urlparse(os.environ['REDIS_URL']).port or 6379)")
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$PWD/instance/redis" --save 60 1 \
    --appendonly no --loglevel warning --logfile "$PWD/instance/logs/redis.log" &
  pids+=($!)
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "Redis did not start; see instance/logs/redis.log" >&2; exit 1; }
fi

.venv/bin/flask db upgrade 2>&1 | grep -v "^INFO" || true
.venv/bin/flask tenants upgrade
.venv/bin/flask demo seed
.venv/bin/flask organizations refresh-figures || echo "Some organizations' figures could not be counted (see above)."

.venv/bin/flask worker >> instance/logs/worker.log 2>&1 &
pids+=($!)
.venv/bin/flask worker --events >> instance/logs/events.log 2>&1 &
pids+=($!)
# The outbox sweep: relays events a crash left unrelayed, re-queues deliveries whose job was lost.
.venv/bin/flask events relay >> instance/logs/relay.log 2>&1 &
pids+=($!)
# Quiz deadlines: the worker's scheduler submits each attempt at its deadline; this submits what a lost job left.
.venv/bin/flask attempts sweep >> instance/logs/attempts.log 2>&1 &
pids+=($!)
# Scheduled reports: the worker's scheduler runs each at its hour; this queues what a lost job left, deletes expired files.
.venv/bin/flask reports sweep >> instance/logs/reports.log 2>&1 &
pids+=($!)
# Privacy: expired data exports deleted; each organization's archiving policy applied once a day.
.venv/bin/flask privacy sweep >> instance/logs/privacy.log 2>&1 &
pids+=($!)
# Notifications: reminders (due soon, overdue, certificates expiring), digests at 7 local time, delayed e-mails.
.venv/bin/flask notifications sweep >> instance/logs/notifications.log 2>&1 &
pids+=($!)
# The demo's webhook receiver: verifies each delivery to the integration "Demo receiver" and prints it.
.venv/bin/flask integrations receiver --port 8765 >> instance/logs/receiver.log 2>&1 &
pids+=($!)
# Webhooks: deliveries whose worker died mid-request (lease run out) or whose job was lost, queued again.
.venv/bin/flask integrations sweep >> instance/logs/integrations.log 2>&1 &
pids+=($!)
# Backups: each organization once a day (LMS_BACKUP_EVERY_HOURS) into instance/backups/<slug>/, older ones pruned.
.venv/bin/flask tenants backup-sweep >> instance/logs/backups.log 2>&1 &
pids+=($!)
.venv/bin/python -m scripts.mail_sink --port "$MAIL_PORT" --dir "$LMS_OUTBOX_DIR" >> instance/logs/mail.log 2>&1 &
pids+=($!)

password=$(.venv/bin/python -c "from config import Config; print(Config.DEMO_PASSWORD)")
operator=$(.venv/bin/python -c "from config import Config; print(Config.OPERATOR_EMAIL)")
cat <<MSG

  Tessera is running (Ctrl-C stops the web server, the worker and Redis).

    Platform:            http://localhost:$port          API docs: http://localhost:$port/api/v1/docs
    Demo organization:   http://demo.localhost:$port

  Demo logins (password for all: $password)
    platform operator    $operator             (on http://localhost:$port)
    org admin            admin@demo.example
    branch manager       manager@demo.example
    teacher              teacher@demo.example
    student              student@demo.example

  Badges and certificates: as the student, finish "Getting started" (its lessons and the quiz), then open
  My achievements: the worker gives the badges and the certificate (PDF, share link, LinkedIn). Anyone checks
  a certificate at http://demo.localhost:$port/verify. The teacher: Badges in the menu, and Teaching >
  Getting started > Certificate / Issued certificates (revoke, re-issue, ZIP). The org admin also: Settings >
  Certificate templates and Settings > Credentials (signing keys, the issuance log).

  Announcements: every bell shows the org admin's welcome. As the teacher, Announcements in the menu lists the
  one scheduled for tomorrow to Algebra 1 (cancel it), and writes new ones to a class, a course or students.

  Webhooks: as the org admin, Settings > Integrations > Demo receiver (every event, to a receiver on 127.0.0.1:8765);
  complete a course as the student, then open its Delivery log: the signed course.completed is there, and
  instance/logs/receiver.log prints it with "signature verified".

  Backups: the demo organization's are in instance/backups/demo/ (one a day, the first now; log in
  instance/logs/backups.log). Try one: .venv/bin/flask tenants restore demo <that file> --as demo-copy, then
  http://demo-copy.localhost:$port with the same logins (docs/operations.md, "Backups and moves").
  Operations: http://localhost:$port/healthz, /readyz (a worker on each queue, the databases, Redis) and
  /metrics (Prometheus; from this machine); the web server's log has a line per request with its X-Request-Id.

  Mail (password resets…) goes to a local sink: read it at http://localhost:$port/outbox as the operator.
  Logs of the worker, the event relay, the mail sink and Redis: instance/logs/

MSG
# In the foreground: a background job of a script would ignore Ctrl-C. When it stops, the EXIT
# trap stops the worker and Redis.
.venv/bin/flask run --host 127.0.0.1 --port "$port"
