#!/usr/bin/env bash
# The demo: installs what is missing, starts the demo directory (slapd on 127.0.0.1:3890) and
# a local mail sink (SMTP on 127.0.0.1:2525, every message written to instance/demo-mail/),
# migrates a SQLite database under instance/, loads the demo centers and devices, runs the mail
# worker and serves Fleet at http://127.0.0.1:5000. Ctrl-C stops everything it started.
# FLEET_DEMO_PORT, FLEET_DEMO_LDAP_PORT, FLEET_DEMO_SMTP_PORT and FLEET_INSTANCE_PATH move it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export FLEET_INSTANCE_PATH="${FLEET_INSTANCE_PATH:-$PWD/instance}"
export FLEET_DATABASE_URL="${FLEET_DATABASE_URL:-sqlite:///$FLEET_INSTANCE_PATH/demo.sqlite}"
export FLEET_ORG_NAME="${FLEET_ORG_NAME:-대전광역시 유성구청 (Yuseong-gu Office)}"
port="${FLEET_DEMO_PORT:-5000}"
mkdir -p "$FLEET_INSTANCE_PATH"
export FLEET_MAIL_FROM="${FLEET_MAIL_FROM:-Fleet <fleet@yuseong.go.kr>}"
export FLEET_MAIL_IT_DESK="${FLEET_MAIL_IT_DESK:-it-desk@yuseong.go.kr}"
export FLEET_MAIL_POLL_SECONDS="${FLEET_MAIL_POLL_SECONDS:-2}"

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

# The demo signs its PDFs and its event log with a demo CA made by `fleet keys init` (once; kept in
# $FLEET_INSTANCE_PATH/demo-keys, never overwritten). Auditors trust instance/demo-keys/org-ca.pem.
keys="$FLEET_INSTANCE_PATH/demo-keys"
if [ ! -f "$keys/signing-key.pem" ]; then
  echo "==> making the demo CA and signing certificate"
  env -u FLEET_SIGNING_KEY -u FLEET_SIGNING_CERT .venv/bin/flask --app wsgi fleet keys init --dir "$keys"
fi
export FLEET_SIGNING_KEY="${FLEET_SIGNING_KEY:-$keys/signing-key.pem}"
export FLEET_SIGNING_CERT="${FLEET_SIGNING_CERT:-$keys/signing-cert.pem}"

echo "==> starting the demo mail sink (its mails land in $FLEET_INSTANCE_PATH/demo-mail/)"
mail_settings=$(mktemp)
.venv/bin/python -m demo.mailsink --port "${FLEET_DEMO_SMTP_PORT:-2525}" --folder "$FLEET_INSTANCE_PATH/demo-mail" \
  > "$mail_settings" &
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

echo "==> starting the mail worker: the demo's mails go to $FLEET_INSTANCE_PATH/demo-mail/ and the IT desk's Outbox page"
.venv/bin/flask --app wsgi fleet worker &
worker_pid=$!

echo "==> Fleet is at http://127.0.0.1:$port (Ctrl-C stops it); demo logins are in README.md"
# Two workers share one session secret: made once in $FLEET_INSTANCE_PATH/secret_key (FLEET_SECRET_KEY overrides).
.venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$port" --access-logfile - wsgi:app &
web_pid=$!
trap 'kill $web_pid $worker_pid 2>/dev/null || true; wait $worker_pid 2>/dev/null || true; cleanup' EXIT INT TERM
wait "$web_pid"
