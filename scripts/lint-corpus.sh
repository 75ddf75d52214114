#!/usr/bin/env bash
# Lints real-world migration histories with `cargo migrate lint`, to find false errors.
#
# Usage:  scripts/lint-corpus.sh [--no-build] [--keep] [CORPUS]      (CORPUS: scripts/corpus.txt)
#
# CORPUS has one history a line, tab-separated:
#     owner/name <TAB> path-in-repo <TAB> layout (flat|diesel) <TAB> dialect (postgres|mysql|sqlite)
#
# The repositories are NOT downloaded by this script. Fetch each one first with the `fetch`
# verb of the workplace's search tool (`fetch github:owner/name`); it leaves a bare git directory
# at  $MIRROR_ROOT/<owner>+<name>/repo  (MIRROR_ROOT defaults to /work/.mirror), e.g.
# /work/.mirror/LemmyNet+lemmy/repo. A history whose mirror is missing is reported and skipped.
#
# For each history the script
#   1. extracts <path-in-repo> at the mirror's HEAD (git archive) into a temp dir;
#   2. converts it to our flat layout in another dir: `<VERSION>_<slug>.up.sql` +
#      `.down.sql`, or `<VERSION>_<slug>.sql` when the migration has no down script.
#      Conversions (each one a translation of the source tool's own meaning, never a fix):
#        - flat names `[V]<digits><sep><name>[.up|.down].sql`; a `.up.sql` with no `.down.sql`
#          (golang-migrate allows that) becomes up-only `.sql`;
#        - diesel dirs `2019-01-01-120000[-NNNN]_name/up.sql` -> `20190101120000_name.up.sql`
#          (also `2019-01-01_120000_name`, `20190101120000_name`); no down.sql -> `.sql`;
#          a `metadata.toml` with `run_in_transaction = false` -> `-- migrate:no-transaction`
#          put at the top of both scripts;
#        - sqlx's leading `-- no-transaction` -> `-- migrate:no-transaction` added on top;
#        - pop/fizz template `{{ index .Options "Namespace" }}` (supabase/auth) -> `auth`;
#        - slug lowercased, every character outside [a-z0-9_] -> `_`;
#        - versions must be positive, unique and increasing in the source tool's order: a version
#          that is 0 (diesel's 00000000000000_*, `00_init`) or not above the previous one (several
#          files sharing a number, e.g. gitness `0001_a`, `0001_b`; diesel `...-120000` and
#          `...-120000-0000`) becomes the previous + 1; printed as a note;
#        - in a directory of `.up.sql`/`.down.sql` pairs a plain `.sql` (e.g. `1_x_up.sql`) is
#          skipped with a note: golang-migrate-style tools never run it.
#   3. runs `target/debug/cargo-migrate migrate lint --dir <flat> --format json
#      --database-url <dummy URL of the dialect>` from an empty temp dir (no Cargo.toml; lint
#      only reads files, the URL only selects the dialect);
#   4. prints the migration count and the errors and warnings by rule.
# A summary table closes the run. The JSON of each run, the flat copy and a map from flat name
# to original path stay in $OUT (default /tmp/lint-corpus) with --keep; without it only the JSON
# and the map are kept. Nothing is written inside the repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
MIRROR_ROOT=${MIRROR_ROOT:-/work/.mirror}
OUT=${OUT:-/tmp/lint-corpus}
build=1
keep=0
corpus=$here/corpus.txt
while (($#)); do
  case $1 in
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) corpus=$1 ;;
  esac
  shift
done
[[ -f $corpus ]] || { echo "no corpus file $corpus" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

bin=${CARGO_MIGRATE_BIN:-$root/target/debug/cargo-migrate}
if ((build)); then
  (cd "$root" && cargo build -p cargo-migrate)
fi
[[ -x $bin ]] || { echo "no binary at $bin (run without --no-build)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT" "$tmp/cwd"
summary=$tmp/summary.tsv
: >"$summary"

# Converts one extracted history ($1, layout $2) into our flat layout in $3; writes the map
# (flat file <TAB> original path) to $4 and prints notes on stderr.
convert() {
  python3 - "$@" <<'PY'
import os, re, sys
src, layout, dst, mapfile = sys.argv[1:5]
notes = []
# entries: (sort key, version, slug, {kind: (original path, bytes)}, no_transaction)
entries = []

def slugify(s):
    s = re.sub(r'[^a-z0-9_]', '_', s.lower())
    return s or 'migration'

TEMPLATE = re.compile(rb'\{\{\s*index\s+\.Options\s+"Namespace"\s*\}\}')

def body(path):
    with open(path, 'rb') as f:
        data = f.read()
    if TEMPLATE.search(data):
        data = TEMPLATE.sub(b'auth', data)
    return data

def sqlx_no_tx(data):
    first = data.lstrip(b'\xef\xbb\xbf').split(b'\n', 1)[0].strip()
    return first == b'-- no-transaction'

if layout == 'flat':
    FLAT = re.compile(r'^[Vv]?(\d+)[._-](.+?)(\.up|\.down)?\.sql$')
    groups = {}
    for name in sorted(os.listdir(src)):
        p = os.path.join(src, name)
        if not os.path.isfile(p) or not name.endswith('.sql'):
            continue
        m = FLAT.match(name)
        if not m:
            notes.append(f'skipped {name}: no version in the name')
            continue
        base = name[: m.start(3)] if m.group(3) else name[:-4]
        kind = {'.up': 'up', '.down': 'down', None: 'only'}[m.group(3)]
        g = groups.setdefault(base, {'version': int(m.group(1)), 'slug': slugify(m.group(2)), 'files': {}})
        g['files'][kind] = (name, body(p))
    paired = any(k in g['files'] for g in groups.values() for k in ('up', 'down'))
    for base, g in list(groups.items()):
        if paired and set(g['files']) == {'only'}:
            # golang-migrate and friends read only `.up.sql`/`.down.sql`: a plain `.sql`
            # next to them is never run by the source tool.
            notes.append(f"skipped {g['files']['only'][0]}: plain .sql among .up/.down pairs (the source tool ignores it)")
            del groups[base]
    for base, g in groups.items():
        files = g['files']
        notx = any(sqlx_no_tx(d) for _, d in files.values())
        entries.append(((g['version'], base), g['version'], g['slug'], files, notx))
elif layout == 'diesel':
    DIESEL = re.compile(r'^(\d{4})-?(\d{2})-?(\d{2})[-_]?(\d{6})(?:-(\d+))?[_-](.+)$')
    PLAIN = re.compile(r'^(\d+)[_-](.+)$')
    for name in sorted(os.listdir(src)):
        d = os.path.join(src, name)
        if not os.path.isdir(d):
            continue
        m = DIESEL.match(name)
        if m:
            version = int(''.join(m.group(1, 2, 3, 4)))
            key = (version, int(m.group(5) or 0), name)
            slug = m.group(6)
        else:
            m = PLAIN.match(name)
            if not m:
                notes.append(f'skipped {name}/: no version in the name')
                continue
            version, slug = int(m.group(1)), m.group(2)
            key = (version, 0, name)
        files = {}
        for f, kind in (('up.sql', 'up'), ('down.sql', 'down')):
            if os.path.isfile(os.path.join(d, f)):
                files[kind] = (f'{name}/{f}', body(os.path.join(d, f)))
        if not files:
            notes.append(f'skipped {name}/: no up.sql or down.sql')
            continue
        notx = False
        meta = os.path.join(d, 'metadata.toml')
        if os.path.isfile(meta):
            with open(meta, encoding='utf-8', errors='replace') as f:
                notx = re.search(r'^\s*run_in_transaction\s*=\s*false', f.read(), re.M) is not None
        notx = notx or any(sqlx_no_tx(x) for _, x in files.values())
        entries.append((key, version, slugify(slug), files, notx))
else:
    sys.exit(f'unknown layout {layout}')

entries.sort(key=lambda e: e[0])
# Versions must be positive and unique: keep each one unless it is 0 or not above the one
# before it (shared versions, diesel's 00000000000000_*), which becomes the previous + 1.
fixed, prev = [], 0
for i, (k, v, s, f, n) in enumerate(entries):
    nv = max(v, prev + 1)
    if nv != v:
        fixed.append(f'{v}->{nv}')
    entries[i] = (k, nv, s, f, n)
    prev = nv
if fixed:
    shown = ', '.join(fixed[:4]) + (f', ... ({len(fixed)} in all)' if len(fixed) > 4 else '')
    notes.append(f'versions changed to stay positive, unique and in order: {shown}')

with open(mapfile, 'w') as mf:
    for _, version, slug, files, notx in entries:
        stem = f'{version}_{slug}'
        if 'only' in files and ('up' in files or 'down' in files):
            notes.append(f'{stem}: both a plain .sql and .up/.down; the plain one is dropped')
            del files['only']
        outs = []
        if 'up' in files and 'down' in files:
            outs = [(f'{stem}.up.sql', files['up']), (f'{stem}.down.sql', files['down'])]
        elif 'up' in files:
            outs = [(f'{stem}.sql', files['up'])]
        elif 'only' in files:
            outs = [(f'{stem}.sql', files['only'])]
        else:
            outs = [(f'{stem}.down.sql', files['down'])]
        for out, (orig, data) in outs:
            if notx:
                data = b'-- migrate:no-transaction\n' + data
            with open(os.path.join(dst, out), 'wb') as f:
                f.write(data)
            mf.write(f'{out}\t{orig}\n')
        if notx:
            notes.append(f'{stem}: no-transaction (from the source tool)')
for n in notes:
    print(f'    note: {n}', file=sys.stderr)
print(len(entries))
PY
}

# Counts the JSON findings: prints "errors<TAB>warnings<TAB>error rules<TAB>warning rules".
count() {
  python3 - "$1" <<'PY'
import json, sys
from collections import Counter
doc = json.load(open(sys.argv[1]))
# format_version 1: an object with `findings` (before it: a bare array).
items = doc['findings'] if isinstance(doc, dict) else doc
c = {s: Counter(i['rule'] for i in items if i['severity'] == s) for s in ('error', 'warning')}
fmt = lambda k: ' '.join(f'{r}={n}' for r, n in sorted(k.items(), key=lambda x: (-x[1], x[0]))) or '-'
print(f"{sum(c['error'].values())}\t{sum(c['warning'].values())}\t{fmt(c['error'])}\t{fmt(c['warning'])}")
PY
}

n=0
while IFS=$'\t' read -r repo path layout dialect rest || [[ -n ${repo:-} ]]; do
  [[ -z ${repo// /} || $repo == \#* ]] && continue
  n=$((n + 1))
  label="${repo}:${path}"
  safe=$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_')
  echo "== $label ($layout, $dialect)"
  case $dialect in
    postgres) url=postgres://x@localhost/x ;;
    mysql) url=mysql://x@localhost/x ;;
    sqlite) url=sqlite::memory: ;;
    *) echo "   bad dialect '$dialect'"; printf '%s\t%s\t-\t-\t-\tbad dialect\t\n' "$label" "$dialect" >>"$summary"; continue ;;
  esac
  gitdir=$MIRROR_ROOT/${repo/\//+}/repo
  if ! git --git-dir="$gitdir" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    echo "   no mirror at $gitdir: fetch github:$repo first"
    printf '%s\t%s\t-\t-\t-\tnot fetched\t\n' "$label" "$dialect" >>"$summary"
    continue
  fi
  head=$(git --git-dir="$gitdir" rev-parse --short=12 HEAD)
  raw=$tmp/$safe.raw flat=$tmp/$safe.flat
  rm -rf "$raw" "$flat"
  mkdir -p "$raw" "$flat"
  if ! git --git-dir="$gitdir" archive HEAD -- "$path" | tar -x -C "$raw" 2>/dev/null || [[ ! -d $raw/$path ]]; then
    echo "   $path not found at HEAD ($head)"
    printf '%s\t%s\t-\t-\t-\tpath missing\t\n' "$label" "$dialect" >>"$summary"
    continue
  fi
  migrations=$(convert "$raw/$path" "$layout" "$flat" "$OUT/$safe.map.tsv")
  json=$OUT/$safe.json
  rc=0
  (cd "$tmp/cwd" && "$bin" migrate lint --dir "$flat" --format json --database-url "$url") \
    >"$json" 2>"$tmp/stderr" || rc=$?
  if ((rc > 1)) || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$json" 2>/dev/null; then
    echo "   lint failed (exit $rc):"
    sed 's/^/     /' "$tmp/stderr" | head -20
    printf '%s\t%s\t%s\t-\t-\tlint exit %s\t\n' "$label" "$dialect" "$migrations" "$rc" >>"$summary"
    continue
  fi
  IFS=$'\t' read -r errors warnings erules wrules < <(count "$json")
  echo "   HEAD $head, $migrations migration(s): $errors error(s), $warnings warning(s)"
  echo "   errors:   $erules"
  echo "   warnings: $wrules"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$dialect" "$migrations" "$errors" "$warnings" "$erules" "$wrules" >>"$summary"
  if ((keep)); then
    rm -rf "${OUT:?}/$safe.flat"
    cp -r "$flat" "$OUT/$safe.flat"
  fi
done <"$corpus"

echo
echo "Summary ($n histories; JSON in $OUT)"
python3 - "$summary" <<'PY'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1]) if l.strip()]
head = ['history', 'dialect', 'migr', 'err', 'warn', 'errors by rule', 'warnings by rule']
rows = [head] + rows
w = [max(len(r[i]) for r in rows) for i in range(5)]
for r in rows:
    print('  '.join(r[i].ljust(w[i]) if i == 0 or i == 1 else r[i].rjust(w[i]) for i in range(5)), ' ', r[5], ' | ', r[6])
tot = [sum(int(r[i]) for r in rows[1:] if r[i].isdigit()) for i in (2, 3, 4)]
print(f'total: {tot[0]} migrations, {tot[1]} errors, {tot[2]} warnings')
PY
