#!/usr/bin/env python3
"""Checks the column types the lint model names (build-support/src/effects/types.rs, the NAMES
table of its tests) against the servers, the way `verify` reads them: PostgreSQL's
`format_type`, MySQL/MariaDB's `COLUMN_TYPE`, SQLite's declared type (whitespace collapsed,
upper-cased). Two spellings the model names alike must get the same type from the server, and
two it names differently different ones (a spelling named `None` is not judged). The second
would be a false alarm of column-change-not-reverted and fails the check; the first is a
difference the lint misses (SQLite's `VARCHAR (40)` and `VARCHAR(40)`), only listed.

Usage: scripts/column-types-oracle.py [--postgres URL] [--mysql URL]
(defaults: $TEST_POSTGRES_URL, $TEST_MYSQL_URL; needs psql, mysql and Python's sqlite3).
Each server gets a scratch schema or database, dropped at the end."""
import argparse, os, re, sqlite3, subprocess, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = os.path.join(HERE, "..", "build-support", "src", "effects", "types.rs")


def names():
    text = open(TYPES).read()
    table = text[text.index("const NAMES"):]
    table = table[: table.index("];")]
    row = re.compile(r'\(\s*Dialect::(\w+),\s*"((?:[^"\\]|\\.)*)",\s*(None|Some\("((?:[^"\\]|\\.)*)"\))\s*,?\s*\)')
    out = []
    for m in row.finditer(table):
        spelling = m.group(2).replace('\\"', '"')
        out.append((m.group(1), spelling, m.group(4) if m.group(3) != "None" else None))
    return out


def postgres(url, spellings):
    schema = "coltypes_oracle"
    sql = [f"DROP SCHEMA IF EXISTS {schema} CASCADE;", f"CREATE SCHEMA {schema};",
           f"SET search_path = {schema}, public;",
           "CREATE TYPE mood AS ENUM ('ok');"]
    for i, s in enumerate(spellings):
        sql.append(f"CREATE TABLE t{i} (c {s});")
    sql.append(
        "SELECT c.relname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        f"JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{schema}' AND a.attname = 'c' AND c.relkind = 'r';")
    sql.append(f"DROP SCHEMA {schema} CASCADE;")
    # A spelling the server rejects makes no table (the others go on).
    out = subprocess.run(["psql", url, "-X", "-q", "-At", "-F", "\t"],
                         input="\n".join(sql), capture_output=True, text=True, check=True).stdout
    got = dict(line.split("\t") for line in out.splitlines() if line.startswith("t"))
    return [got.get(f"t{i}") for i in range(len(spellings))]


def mysql(url, spellings):
    u = urllib.parse.urlparse(url)
    db = "coltypes_oracle"
    sql = [f"DROP DATABASE IF EXISTS {db};", f"CREATE DATABASE {db};", f"USE {db};"]
    for i, s in enumerate(spellings):
        sql.append(f"CREATE TABLE t{i} (c {s});")
    sql.append("SELECT TABLE_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
               f"WHERE TABLE_SCHEMA = '{db}' AND COLUMN_NAME = 'c';")
    sql.append(f"DROP DATABASE {db};")
    args = ["mysql", "--force", "-h", u.hostname or "127.0.0.1", "-P", str(u.port or 3306),
            "-u", u.username or "root", "-N", "-B"]
    if u.password:
        args.append(f"-p{u.password}")
    out = subprocess.run(args, input="\n".join(sql), capture_output=True, text=True).stdout
    got = dict(line.split("\t") for line in out.splitlines())
    return [got.get(f"t{i}") for i in range(len(spellings))]


def normalize_sql(s):
    # verify's normalize_sql: whitespace collapsed, none after `(` or before `)` and `,`.
    out, pending = "", False
    for c in s.strip():
        if c.isspace():
            pending = True
            continue
        if pending and not out.endswith("(") and c not in "),":
            out += " "
        pending = False
        out += c
    return out


def sqlite(spellings):
    conn = sqlite3.connect(":memory:")
    got = []
    for i, s in enumerate(spellings):
        try:
            conn.execute(f"CREATE TABLE t{i} (c {s})")
        except sqlite3.Error:
            got.append(None)
            continue
        row = conn.execute(f"SELECT type FROM pragma_table_info('t{i}')").fetchone()
        got.append(normalize_sql(row[0]).upper())
    return got


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"))
    p.add_argument("--mysql", default=os.environ.get("TEST_MYSQL_URL"))
    a = p.parse_args()
    rows = names()
    problems = 0
    for dialect in ["Postgres", "MySql", "Sqlite"]:
        mine = [(s, n) for d, s, n in rows if d == dialect]
        spellings = [s for s, _ in mine]
        if dialect == "Postgres":
            if not a.postgres:
                print("Postgres: skipped (no URL)")
                continue
            server = postgres(a.postgres, spellings)
        elif dialect == "MySql":
            if not a.mysql:
                print("MySql: skipped (no URL)")
                continue
            server = mysql(a.mysql, spellings)
        else:
            server = sqlite(spellings)
        known = [(s, n, t) for (s, n), t in zip(mine, server) if n is not None]
        for s, n, t in known:
            if t is None:
                print(f"{dialect}: {s!r}: the server made no column")
                problems += 1
        for i, (s1, n1, t1) in enumerate(known):
            for s2, n2, t2 in known[i + 1:]:
                pair = f"{s1!r} -> {n1!r} (server {t1!r}) vs {s2!r} -> {n2!r} (server {t2!r})"
                if n1 != n2 and t1 == t2:
                    print(f"{dialect}: FALSE ALARM: {pair}")
                    problems += 1
                elif n1 == n2 and t1 != t2:
                    print(f"{dialect}: missed: {pair}")
        exact = sum(1 for s, n, t in known if n == t)
        print(f"{dialect}: {len(mine)} spellings, {len(known)} named, {exact} named exactly as the server does")
        for (s, n), t in zip(mine, server):
            print(f"    {s!r:32} model {n!r:36} server {t!r}")
    print(f"{problems} problem(s)")
    sys.exit(1 if problems else 0)


main()
