#!/usr/bin/env bash
# Set up the django-helpdesk benchmark peer. Idempotent: rerun any time.
#
#   bench/peers/django_helpdesk/setup.sh            # venv + deps + migrate + admin/token/queue
#   bench/peers/django_helpdesk/setup.sh --reset    # same, but start from an empty database
#   bench/peers/django_helpdesk/setup.sh --run      # set up, then start gunicorn (run.sh)
#
# Everything it writes goes under var/peers/django_helpdesk/ (gitignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
export PEER_VAR_DIR="${PEER_VAR_DIR:-$REPO/var/peers/django_helpdesk}"
VENV="$PEER_VAR_DIR/venv"
PYTHON_BIN="${PYTHON:-python3}"

reset=0
run=0
run_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reset) reset=1 ;;
        --run) run=1 ;;
        --workers|--threads|--port) run_args+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

mkdir -p "$PEER_VAR_DIR"

# 1. virtualenv (its own, never the project's .venv)
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi

# 2. pinned dependencies, reinstalled only when requirements.txt changes
req_hash="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
stamp="$VENV/.requirements.sha256"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$req_hash" ]]; then
    echo "==> installing $HERE/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$req_hash" > "$stamp"
else
    echo "==> dependencies up to date"
fi

# 3. secret key, generated once
if [[ ! -s "$PEER_VAR_DIR/secret_key" ]]; then
    "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$PEER_VAR_DIR/secret_key"
    chmod 600 "$PEER_VAR_DIR/secret_key"
fi

if [[ $reset -eq 1 ]]; then
    if [[ -f "$PEER_VAR_DIR/gunicorn.pid" ]] && kill -0 "$(cat "$PEER_VAR_DIR/gunicorn.pid")" 2>/dev/null; then
        echo "setup.sh: the peer is running; stop it first (run.sh --stop)" >&2
        exit 1
    fi
    echo "==> --reset: removing the database"
    rm -f "$PEER_VAR_DIR"/db.sqlite3 "$PEER_VAR_DIR"/db.sqlite3-wal "$PEER_VAR_DIR"/db.sqlite3-shm
fi

export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=peer_project.settings

# 4. schema, then 5. admin user + token + queue (both idempotent)
echo "==> migrate"
"$VENV/bin/python" "$HERE/manage.py" migrate --noinput -v 0
echo "==> bootstrap (admin user, API token, queue) -> $PEER_VAR_DIR/peer.json"
"$VENV/bin/python" "$HERE/bootstrap.py"

if [[ $run -eq 1 ]]; then
    exec "$HERE/run.sh" ${run_args[@]+"${run_args[@]}"}
fi
echo "==> done. Start it with: $HERE/run.sh [--workers N] [--background]"
