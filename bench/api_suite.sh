#!/usr/bin/env bash
# Every API figure of docs/benchmarks.md in one run, on this machine:
#   1. get/list at concurrency 16 on demo databases of 10,000 and 1,000,000 tickets, SQLite and
#      PostgreSQL (gets spread uniformly over the whole table);
#   2. ticket create, supportops (SQLite, PostgreSQL) against django-helpdesk (SQLite) back to back.
# Databases are generated once with `supportops demo load` and reused (DATA, PG_PREFIX).
# The machine's own CPU noise (bench/machine_noise.py) is measured before the runs and after them:
# p99 figures are only comparable between runs on an equally quiet machine.
# Results: one JSON per run under OUT, and a summary table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-var/bench/results}
DATA=${DATA:-var/bench/data}
PG_ADMIN=${PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/test}
PG_BASE=${PG_ADMIN%/*}
PER_OP=${PER_OP:-20}
PORT=${PORT:-8000}
WORKERS=${WORKERS:-2}                # HTTP processes for the reads
CREATE_WORKERS=${CREATE_WORKERS:-1}  # and for create: serve's default, the fastest on 2 cores and SQLite
SIZES=${SIZES-"10000 1000000"}  # SIZES="" skips the read runs
BIN=.venv/bin
mkdir -p "$OUT" "$DATA"
DATA=$(cd "$DATA" && pwd)

pg_db() { psql "$PG_ADMIN" -qtAc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1; }

prepare() {  # name url tickets: migrate (every run), load once
  local marker="$DATA/$1.loaded"
  SUPPORTOPS_DATABASE_URL="$2" $BIN/supportops db upgrade >/dev/null
  [ -f "$marker" ] && return 0
  SUPPORTOPS_DATABASE_URL="$2" $BIN/supportops demo load --tickets "$3"
  touch "$marker"
}

token_for() {  # url: a bench admin and a fresh token, printed
  SUPPORTOPS_DATABASE_URL="$1" $BIN/supportops users create --email bench@example.com --name Bench \
    --role admin >/dev/null 2>&1 || true
  local token
  token=$(SUPPORTOPS_DATABASE_URL="$1" $BIN/supportops tokens create --email bench@example.com --name bench | tail -n1)
  [ -n "$token" ] || { echo "could not create a bench token on $1" >&2; exit 1; }
  echo "$token"
}

SERVER=""
serve() {  # url [workers]
  SUPPORTOPS_DATABASE_URL="$1" $BIN/supportops serve --port "$PORT" --workers "${2:-$WORKERS}" --no-worker \
    >"$OUT/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0  # warmed up, not just alive
    sleep 0.2
  done
  echo "server did not start; see $OUT/server.log" >&2
  exit 1
}
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true; SERVER=""; }
trap stop EXIT

$BIN/python bench/machine_noise.py --seconds 10 --json "$OUT/noise_before.json"

for size in $SIZES; do
  for backend in sqlite postgres; do
    name="so_${backend}_${size}"
    if [ "$backend" = sqlite ]; then url="sqlite:///$DATA/$name.db"; else
      pg_db "$name" || psql "$PG_ADMIN" -qc "CREATE DATABASE $name"
      url="$PG_BASE/$name"
    fi
    prepare "$name" "$url" "$size"
    token=$(token_for "$url")
    serve "$url"
    $BIN/python bench/api_throughput.py --target supportops --url "http://127.0.0.1:$PORT" --token "$token" \
      --ops get,list --get-ids "1:$size" --seconds "$PER_OP" --json "$OUT/read_${backend}_${size}.json"
    stop
  done
done

# Create: a fresh supportops database per backend against a fresh django-helpdesk, back to back.
bench/peers/django_helpdesk/setup.sh --reset >/dev/null
bench/peers/django_helpdesk/run.sh --background >/dev/null
for backend in sqlite postgres; do
  name="so_${backend}_create"
  if [ "$backend" = sqlite ]; then rm -f "$DATA/$name.db"*; url="sqlite:///$DATA/$name.db"; else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    url="$PG_BASE/$name"
  fi
  SUPPORTOPS_DATABASE_URL="$url" $BIN/supportops db upgrade >/dev/null
  token=$(token_for "$url")
  serve "$url" "$CREATE_WORKERS"
  if [ "$backend" = sqlite ]; then
    $BIN/python bench/api_throughput.py --compare --ops create --token "$token" \
      --supportops-url "http://127.0.0.1:$PORT" --helpdesk-password bench-admin-pass \
      --seconds "$PER_OP" --json "$OUT/create_sqlite_vs_helpdesk.json"
  else
    $BIN/python bench/api_throughput.py --target supportops --url "http://127.0.0.1:$PORT" --token "$token" \
      --ops create --seconds "$PER_OP" --json "$OUT/create_postgres.json"
  fi
  stop
done
bench/peers/django_helpdesk/run.sh --stop >/dev/null
$BIN/python bench/machine_noise.py --seconds 10 --json "$OUT/noise_after.json"

$BIN/python bench/summarize.py "$OUT"
