#!/usr/bin/env bash
# Start (or stop) the django-helpdesk peer under gunicorn on 127.0.0.1.
#
#   bench/peers/django_helpdesk/run.sh                      # foreground, 2 sync workers, :8001
#   bench/peers/django_helpdesk/run.sh --workers 4 --threads 1 --port 8001
#   bench/peers/django_helpdesk/run.sh --background         # detach, wait until it answers
#   bench/peers/django_helpdesk/run.sh --stop               # stop the one --background started
#
# Env: PEER_WORKERS, PEER_THREADS, PEER_PORT give the same defaults. Run setup.sh first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
export PEER_VAR_DIR="${PEER_VAR_DIR:-$REPO/var/peers/django_helpdesk}"
VENV="$PEER_VAR_DIR/venv"
PIDFILE="$PEER_VAR_DIR/gunicorn.pid"
LOG="$PEER_VAR_DIR/gunicorn.log"

workers="${PEER_WORKERS:-2}"   # the machine has 2 cores
threads="${PEER_THREADS:-1}"   # 1 = gunicorn's plain sync worker
port="${PEER_PORT:-8001}"
background=0
stop=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --workers) workers="$2"; shift ;;
        --threads) threads="$2"; shift ;;
        --port) port="$2"; shift ;;
        --background|--daemon) background=1 ;;
        --stop) stop=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

if [[ $stop -eq 1 ]]; then
    if [[ -f "$PIDFILE" ]]; then
        pid="$(cat "$PIDFILE")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            echo "stopped gunicorn (pid $pid)"
        fi
        rm -f "$PIDFILE"
    else
        echo "not running (no $PIDFILE)"
    fi
    exit 0
fi

if [[ ! -x "$VENV/bin/gunicorn" || ! -f "$PEER_VAR_DIR/db.sqlite3" ]]; then
    echo "run.sh: peer not set up; run $HERE/setup.sh first" >&2
    exit 1
fi
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "run.sh: already running (pid $(cat "$PIDFILE")); use --stop first" >&2
    exit 1
fi

# No webhook targets from the environment, whatever the caller has set.
unset HELPDESK_NEW_TICKET_WEBHOOK_URLS HELPDESK_FOLLOWUP_WEBHOOK_URLS
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=peer_project.settings

args=(
    peer_project.wsgi:application
    --bind "127.0.0.1:$port"
    --workers "$workers"
    --threads "$threads"
    --pid "$PIDFILE"
    --timeout 60
    --backlog 2048
    --log-level warning
)

if [[ $background -eq 0 ]]; then
    exec "$VENV/bin/gunicorn" "${args[@]}"
fi

"$VENV/bin/gunicorn" "${args[@]}" --daemon --error-logfile "$LOG"
for _ in $(seq 1 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/tickets/" || true)"
    # 401/403 (no credentials) means Django is up and routing to the API.
    if [[ "$code" == "401" || "$code" == "403" || "$code" == "200" ]]; then
        echo "django-helpdesk peer up on http://127.0.0.1:$port (workers=$workers threads=$threads, pid $(cat "$PIDFILE"), log $LOG)"
        exit 0
    fi
    sleep 0.2
done
echo "run.sh: gunicorn did not answer within 20 s; see $LOG" >&2
exit 1
