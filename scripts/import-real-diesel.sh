#!/usr/bin/env bash
# `cargo migrate import --from diesel` against a history the real diesel_cli applied (the e2e
# tests write Diesel's rows themselves; this checks them against the tool). Not part of
# `cargo test`.
#
# Usage:  scripts/import-real-diesel.sh [DIESEL]      (DIESEL: the diesel binary, default `diesel`)
#
# Install diesel_cli first, e.g.
#     nice -n 19 cargo install diesel_cli --no-default-features --features sqlite-bundled,postgres-bundled --root /tmp/diesel-cli
# Runs on SQLite always, and on PostgreSQL when TEST_POSTGRES_URL names a server (a database
# `cm_real_diesel_<pid>` is created there by `diesel setup` and dropped at the end). For each:
# `diesel setup` and `diesel migration run` apply the history (on PostgreSQL with Diesel's own
# `00000000000000_diesel_initial_setup`, which the import renumbers); `cargo migrate up` must
# refuse, `import` must record every migration, `status` show them applied, `up` apply nothing,
# a new migration apply, and `diesel migration list` still read its table.
set -euo pipefail

DIESEL=${1:-diesel}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p cargo-migrate
MIGRATE="$ROOT/target/debug/cargo-migrate"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CURRENT_URL=
# A failure drops the database it made (the SQLite file goes with $WORK).
fail() {
    echo "FAIL ($1): $2" >&2
    [ -n "$CURRENT_URL" ] && DATABASE_URL=$CURRENT_URL "$DIESEL" database drop >/dev/null 2>&1
    exit 1
}

run_on() {
    local name=$1 diesel_url=$2 url=$3
    local project="$WORK/$name"
    mkdir -p "$project"
    cd "$project"
    printf '[migrations_directory]\ndir = "migrations"\n' > diesel.toml
    DATABASE_URL=$diesel_url "$DIESEL" setup --migration-dir migrations
    CURRENT_URL=$diesel_url
    mkdir -p migrations/2024-01-01-000000_create_users migrations/2024-01-02-000000_create_posts
    printf 'CREATE TABLE users (id INT);\n' > migrations/2024-01-01-000000_create_users/up.sql
    printf 'DROP TABLE users;\n' > migrations/2024-01-01-000000_create_users/down.sql
    printf 'CREATE TABLE posts (id INT);\n' > migrations/2024-01-02-000000_create_posts/up.sql
    printf 'DROP TABLE posts;\n' > migrations/2024-01-02-000000_create_posts/down.sql
    printf 'run_in_transaction = false\n' > migrations/2024-01-02-000000_create_posts/metadata.toml
    DATABASE_URL=$diesel_url "$DIESEL" migration run --migration-dir migrations
    local count
    count=$(find migrations -name up.sql | wc -l)

    if "$MIGRATE" migrate up -D "$url" 2> "$WORK/up.err"; then
        fail "$name" "up ran on a database Diesel migrated"
    fi
    grep -q "cargo migrate import --from diesel" "$WORK/up.err" || fail "$name" "up's refusal does not name import: $(cat "$WORK/up.err")"
    "$MIGRATE" migrate import --from diesel -D "$url" 2> "$WORK/import.err" || fail "$name" "import failed: $(cat "$WORK/import.err")"
    grep -q "recorded $count migration(s) as applied" "$WORK/import.err" || fail "$name" "$(cat "$WORK/import.err")"
    local applied
    applied=$("$MIGRATE" migrate status -D "$url" --format json | grep -o '"state": *"applied"' | wc -l)
    [ "$applied" -eq "$count" ] || fail "$name" "status shows $applied applied, not $count"
    local again
    again=$("$MIGRATE" migrate up -D "$url" 2>&1)
    grep -q "nothing to apply" <<< "$again" || fail "$name" "up applied something after import: $again"
    printf 'CREATE TABLE extra (id INT);\n' > migrations/29990101000000_extra.sql
    "$MIGRATE" migrate up -D "$url" -q || fail "$name" "a new migration did not apply"
    echo "ok   $name: diesel_cli $("$DIESEL" --version | awk '/Version:/ {print $2}') history of $count migration(s) imported"
}

run_on sqlite "$WORK/real.db" "sqlite:$WORK/real.db"
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    pg="${TEST_POSTGRES_URL%/*}/cm_real_diesel_$$"
    run_on postgres "$pg" "$pg"
    DATABASE_URL=$pg "$DIESEL" database drop >/dev/null 2>&1 || true
fi
