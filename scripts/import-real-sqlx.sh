#!/usr/bin/env bash
# `cargo migrate import --from sqlx` against a history the real sqlx-cli applied (the e2e tests
# write sqlx's rows themselves; this checks them against the tool). Not part of `cargo test`.
#
# Usage:  scripts/import-real-sqlx.sh [SQLX]          (SQLX: the sqlx binary, default `sqlx`)
#
# Install sqlx-cli first, e.g.
#     nice -n 19 cargo install sqlx-cli --no-default-features --features postgres,sqlite,mysql,rustls --root /tmp/sqlx-cli
# Runs on SQLite always, and on PostgreSQL / MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL
# name a server (a database `cm_real_sqlx_<pid>` is created there and dropped at the end).
# For each database: `sqlx migrate run` applies three migrations (a reversible pair, an
# up-only one, a `-- no-transaction` one); then `cargo migrate up` must refuse, `import` must
# record all three, `status` must show them applied, `up` must apply nothing, and a new
# migration must apply; `_sqlx_migrations` must be unchanged.
set -euo pipefail

SQLX=${1:-sqlx}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p cargo-migrate
MIGRATE="$ROOT/target/debug/cargo-migrate"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CURRENT_URL=
# A failure drops the database it made (the SQLite file goes with $WORK).
fail() {
    echo "FAIL ($1): $2" >&2
    [ -n "$CURRENT_URL" ] && "$SQLX" database drop -y -D "$CURRENT_URL" >/dev/null 2>&1
    exit 1
}

run_on() {
    local name=$1 url=$2
    local project="$WORK/$name"
    mkdir -p "$project/migrations"
    cd "$project"
    printf 'CREATE TABLE users (id INT);\n' > migrations/20240101000000_create_users.up.sql
    printf 'DROP TABLE users;\n' > migrations/20240101000000_create_users.down.sql
    printf 'CREATE TABLE posts (id INT);\n' > migrations/20240102000000_create_posts.sql
    printf -- '-- no-transaction\nCREATE INDEX posts_id ON posts (id);\n' > migrations/20240103000000_index_posts.sql
    "$SQLX" database create -D "$url"
    CURRENT_URL=$url
    "$SQLX" migrate run -D "$url" --source migrations
    local before
    before=$("$SQLX" migrate info -D "$url" --source migrations)

    if "$MIGRATE" migrate up -D "$url" 2> "$WORK/up.err"; then
        fail "$name" "up ran on a database sqlx migrated"
    fi
    grep -q "cargo migrate import --from sqlx" "$WORK/up.err" || fail "$name" "up's refusal does not name import: $(cat "$WORK/up.err")"
    "$MIGRATE" migrate import --from sqlx -D "$url" 2> "$WORK/import.err" || fail "$name" "import failed: $(cat "$WORK/import.err")"
    grep -q "recorded 3 migration(s) as applied" "$WORK/import.err" || fail "$name" "$(cat "$WORK/import.err")"
    local applied
    applied=$("$MIGRATE" migrate status -D "$url" --format json | grep -o '"state": *"applied"' | wc -l)
    [ "$applied" -eq 3 ] || fail "$name" "status shows $applied applied, not 3"
    local again
    again=$("$MIGRATE" migrate up -D "$url" 2>&1)
    grep -q "nothing to apply" <<< "$again" || fail "$name" "up applied something after import: $again"
    printf 'CREATE TABLE extra (id INT);\n' > migrations/29990101000000_extra.sql
    "$MIGRATE" migrate up -D "$url" -q || fail "$name" "a new migration did not apply"
    # sqlx's own view: its rows as they were; the reversible pair is untouched, the up-only
    # files (now `-- migrate:irreversible`, one `-- migrate:no-transaction`) read as changed.
    rm migrations/29990101000000_extra.sql
    local after
    after=$("$SQLX" migrate info -D "$url" --source migrations 2>&1 || true)
    [ "$(grep -c 'different checksum' <<< "$after")" -eq 2 ] \
        && grep -q '^20240101000000/installed create users$' <<< "$after" \
        || fail "$name" "sqlx migrate info after the switch: $after (before: $before)"
    echo "ok   $name: sqlx-cli $("$SQLX" --version | cut -d' ' -f2) history imported"
    "$SQLX" database drop -y -D "$url" >/dev/null 2>&1 || true
}

run_on sqlite "sqlite:$WORK/real.db"
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    run_on postgres "${TEST_POSTGRES_URL%/*}/cm_real_sqlx_$$"
fi
if [ -n "${TEST_MYSQL_URL:-}" ]; then
    run_on mysql "${TEST_MYSQL_URL%/*}/cm_real_sqlx_$$"
fi
