#!/usr/bin/env bash
# The demo: installs what is missing, starts the demo directory (slapd on 127.0.0.1:3890),
# starts a local mail sink (SMTP on 127.0.0.1:2525, every message written to instance/demo-mail/),
# migrates a SQLite database under instance/, loads the demo centers and devices, runs the mail
# worker and serves Fleet at http://127.0.0.1:5000. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export FLEET_DATABASE_URL="${FLEET_DATABASE_URL:-sqlite:///$PWD/instance/demo.sqlite}"
export FLEET_ORG_NAME="${FLEET_ORG_NAME:-대전광역시 유성구청 (Yuseong-gu Office)}"
export FLEET_MAIL_FROM="${FLEET_MAIL_FROM:-Fleet <fleet@yuseong.go.kr>}"
export FLEET_MAIL_IT_DESK="${FLEET_MAIL_IT_DESK:-it-desk@yuseong.go.kr}"
export FLEET_MAIL_POLL_SECONDS="${FLEET_MAIL_POLL_SECONDS:-2}"
mkdir -p instance

echo "==> starting the demo directory"
settings=$(mktemp)
.venv/bin/python -m demo.directory --port "${FLEET_DEMO_LDAP_PORT:-3890}" > "$settings" &
slapd_pid=$!
cleanup() {
  kill "$slapd_pid" 2>/dev/null || true
  wait "$slapd_pid" 2>/dev/null || true
  rm -f "$settings"
}
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  grep -q FLEET_LDAP_URI "$settings" 2>/dev/null && break
  kill -0 "$slapd_pid" 2>/dev/null || { echo "the demo directory did not start"; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1090
source "$settings"

echo "==> starting the demo mail sink (its mails land in instance/demo-mail/)"
mail_settings=$(mktemp)
.venv/bin/python -m demo.mailsink --port "${FLEET_DEMO_SMTP_PORT:-2525}" --folder instance/demo-mail > "$mail_settings" &
sink_pid=$!
cleanup() {
  kill "$sink_pid" "$slapd_pid" 2>/dev/null || true
  wait "$sink_pid" "$slapd_pid" 2>/dev/null || true
  rm -f "$settings" "$mail_settings"
}
for _ in $(seq 100); do
  grep -q FLEET_SMTP_URL "$mail_settings" 2>/dev/null && break
  kill -0 "$sink_pid" 2>/dev/null || { echo "the demo mail sink did not start"; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1090
source "$mail_settings"

echo "==> migrating the database and loading the demo data"
.venv/bin/flask --app wsgi db upgrade
.venv/bin/flask --app wsgi fleet seed-demo

echo "==> starting the mail worker: the demo's mails go to instance/demo-mail/ and the IT desk's Outbox page"
.venv/bin/flask --app wsgi fleet worker &
worker_pid=$!

echo "==> Fleet is at http://127.0.0.1:5000 (Ctrl-C stops it); demo logins are in README.md"
.venv/bin/gunicorn --workers 2 --bind 127.0.0.1:5000 --access-logfile - wsgi:app &
web_pid=$!
trap 'kill $web_pid $worker_pid 2>/dev/null || true; wait $worker_pid 2>/dev/null || true; cleanup' EXIT INT TERM
wait "$web_pid"
