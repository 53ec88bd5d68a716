#!/bin/sh
# Smoke test of the frozen program (run by `make dist`): every command of the command line that
# matters on a station PC, what the bundle holds, then the window's real start (login dialog,
# main window, integrity check; redstation/gui/smoke.py) offscreen and on a virtual X screen when
# xvfb-run is there, each run with an empty environment and no Python on the PATH, in a temporary
# data folder.
#
#   sh installer/smoke-test.sh [dist/redstation]
#
# With SMOKE_PYTHON set (make dist sets it to the venv's python) it also makes a database of
# the first schema, as an old release left it, and checks that the frozen program backs it up
# before migrating it.
set -eu

DIST=${1:-dist/redstation}
PROG="$(cd "$DIST" && pwd)/redstation"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/redstation-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
DB="$WORK/x.db"
step() { printf '\n== %s\n' "$*"; }
fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }

# The frozen program alone: no PATH (so no python), no PYTHON* variables, its own data folder.
frozen() {
    env -i HOME="$WORK" REDSTATION_HOME="$WORK/home" LANG=C.UTF-8 PATH=/nonexistent "$PROG" "$@"
}

[ -x "$PROG" ] || fail "$PROG is missing"
env -i PATH=/nonexistent sh -c 'command -v python3 || command -v python' >/dev/null 2>&1 && fail "python is on the PATH"

step "version"
expected=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/redstation/__init__.py")
frozen --version | tee "$WORK/version.txt"
grep -qx "RedStation $expected" "$WORK/version.txt" || fail "--version is not RedStation $expected"

step "init"
frozen --db "$DB" init --station-name 阳光花园红色物业服务站 --community 阳光社区 --street 幸福街道

step "demo --households 50"
frozen --db "$DB" demo --households 50

step "stats --json"
frozen --db "$DB" stats --json | tee "$WORK/stats.json"
grep -q '"households": 50' "$WORK/stats.json" || fail "stats does not count 50 households"

step "list residents, search by name"
frozen --db "$DB" list residents --limit 3 --json > "$WORK/residents.json"
name=$(grep -o '"name": "[^"]*"' "$WORK/residents.json" | head -n 1 | sed 's/"name": "\(.*\)"/\1/')
[ -n "$name" ] || fail "list residents gave no name"
frozen --db "$DB" search "$name" --json | tee "$WORK/search.json"
grep -q "\"name\": \"$name\"" "$WORK/search.json" || fail "search did not find $name"

step "print round-sheet (a month ahead, when every key household is due)"
ahead=$(date -d '+30 days' +%Y-%m-%d)
frozen --db "$DB" print round-sheet "$WORK/round.pdf" --date "$ahead" | tee "$WORK/round.txt"
grep -Eq '[1-9][0-9]* 户' "$WORK/round.txt" || fail "the round sheet of $ahead lists no household"
pdffonts "$WORK/round.pdf" | tee "$WORK/fonts.txt"
grep -q 'WenQuanYi' "$WORK/fonts.txt" || fail "the round sheet does not use the shipped font"
if awk 'NR > 2 && $0 !~ / yes +yes +yes / { bad = 1 } END { exit !bad }' "$WORK/fonts.txt"; then
    fail "a font of the round sheet is not embedded and subset"
fi
pdftotext "$WORK/round.pdf" "$WORK/round-text.txt"
grep -q '巡查走访单' "$WORK/round-text.txt" || fail "the round sheet has no title text"
# a household row: the address of a key household (one with a care category) from `list households`
frozen --db "$DB" list households --json > "$WORK/households.json"
address=$(grep -o '"address": "[^"]*", "residence_type": "[^"]*", "members": [0-9]*, "care_categories": \["' \
          "$WORK/households.json" | head -n 1 | sed 's/"address": "\([^"]*\)".*/\1/')
[ -n "$address" ] || fail "list households shows no key household"
grep -qF "$address" "$WORK/round-text.txt" || fail "the round sheet has no row for the key household $address"
echo "round sheet row: $address"

step "report monthly"
frozen --db "$DB" report monthly "$(date +%Y-%m)" "$WORK/report.pdf"
pdftotext "$WORK/report.pdf" - | grep -q '阳光花园红色物业服务站' || fail "the monthly report lacks the station"

step "export-ledger --unmasked, import-ledger --dry-run into a new station"
frozen --db "$DB" export-ledger --unmasked "$WORK/ledger.xlsx"
frozen --db "$WORK/y.db" init --station-name 试点站 --community 试点社区
frozen --db "$WORK/y.db" import-ledger "$WORK/ledger.xlsx" --dry-run --json | tee "$WORK/import.json"
grep -q '"imported": [1-9]' "$WORK/import.json" || fail "the exported ledger does not import"

step "export-bundle --password, import-bundle --dry-run --trust into another station"
env -i HOME="$WORK" REDSTATION_HOME="$WORK/home" LANG=C.UTF-8 PATH=/nonexistent REDSTATION_BUNDLE_PASSWORD=smoke \
    "$PROG" --db "$DB" export-bundle "$WORK/bundle.xlsx" --password
env -i HOME="$WORK" REDSTATION_HOME="$WORK/home" LANG=C.UTF-8 PATH=/nonexistent REDSTATION_BUNDLE_PASSWORD=smoke \
    "$PROG" --db "$WORK/y.db" import-bundle "$WORK/bundle.xlsx" --dry-run --trust --password --json > "$WORK/bundle.json"
grep -q '"inserted": [1-9]' "$WORK/bundle.json" || fail "the bundle does not import"

step "backup, check"
frozen --db "$DB" backup "$WORK/backup.db"
frozen --db "$DB" check

if [ -n "${SMOKE_PYTHON:-}" ]; then
    step "a database of the first schema (made by $SMOKE_PYTHON): backed up, then migrated"
    "$SMOKE_PYTHON" - "$WORK/old.db" <<'PY'
import sqlite3, sys
from redstation.store import db
number, sql = db.migrations()[0]
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
for statement in db._statements(sql):
    conn.execute(statement)
conn.execute("PRAGMA user_version = {n}".format(n=number))
conn.execute("PRAGMA application_id = {a}".format(a=db.APPLICATION_ID))
conn.close()
PY
    frozen --db "$WORK/old.db" stats --json
    # the backups folder beside the database (redstation/paths.py backup_dir)
    ls "$WORK/backups/" | grep -q '^old-schema1-before-upgrade-.*\.db$' || fail "no backup before the migration"
    ls "$WORK/backups/"
fi

step "the bundle: no Qt Charts (GPL-3.0 only), the desktop's libraries from the system, licence texts"
find "$DIST" -iname '*Qt6Charts*' -o -iname 'QtCharts*' | grep . && fail "Qt Charts is in the bundle"
find "$DIST/_internal" -maxdepth 1 \( -name 'libX11*' -o -name 'libxcb*.so*' -o -name 'libfontconfig*' \
    -o -name 'libfreetype*' -o -name 'libdbus-1*' -o -name 'libcups*' -o -name 'libxkbcommon*' \) \
    ! -lname 'pillow.libs/*' | grep . \
    && fail "the bundle carries a library of the desktop that must come from the system"
[ -s "$DIST/_internal/resources/licenses/native/libraries.json" ] || fail "no list of the bundled libraries"

# The real start of the window (the error handler, the database's lock, the login dialog answered with demo's
# manager account after a wrong password, the main window, the integrity check, the daily backup); the first
# start of this new installation says nothing of an update.
window_smoke() {
    grep -q '"failures": \[\]' "$1" || fail "the window smoke test failed ($2)"
    grep -q '"wrong_password_refused": true' "$1" || fail "the login dialog took a wrong password ($2)"
    grep -q '"login": "admin"' "$1" || fail "nobody logged in through the login dialog ($2)"
    grep -q '"integrity_check": "passed"' "$1" || fail "the integrity check did not pass ($2)"
    grep -q '"whats_new": null' "$1" || fail "a new installation's first start spoke of an update ($2)"
    grep -q '"households": 50' "$1" || fail "the dashboard did not count 50 households ($2)"
}

step "the window, offscreen (login, dashboard counts, integrity check, icon, font, About, print preview)"
status=0
timeout 300 env -i HOME="$WORK" REDSTATION_HOME="$WORK/home" LANG=C.UTF-8 PATH=/nonexistent \
    QT_QPA_PLATFORM=offscreen REDSTATION_SMOKE_TEST=1 REDSTATION_SMOKE_PDF="$WORK/round.pdf" "$PROG" --db "$DB" \
    > "$WORK/window.json" || status=$?
cat "$WORK/window.json"
[ "$status" = 0 ] || fail "the window smoke test ended with status $status"
window_smoke "$WORK/window.json" offscreen

if command -v xvfb-run >/dev/null 2>&1; then
    step "the window on a virtual X screen (xcb)"
    status=0
    timeout 300 xvfb-run -a sh -c 'exec env -i HOME="$1" REDSTATION_HOME="$1/home" LANG=C.UTF-8 PATH=/nonexistent \
        DISPLAY="$DISPLAY" XAUTHORITY="${XAUTHORITY:-}" QT_QPA_PLATFORM=xcb REDSTATION_SMOKE_TEST=1 "$2" --db "$3"' \
        sh "$WORK" "$PROG" "$DB" > "$WORK/window-xcb.json" || status=$?
    cat "$WORK/window-xcb.json"
    [ "$status" = 0 ] || fail "the window smoke test on X ended with status $status"
    grep -q '"platform": "xcb"' "$WORK/window-xcb.json" || fail "the window did not open on X"
    window_smoke "$WORK/window-xcb.json" xcb
fi

step "size"
du -sh "$DIST"
printf 'files: %s\n' "$(find "$DIST" -type f | wc -l)"
echo "largest:"
find "$DIST" -type f -printf '%s %P\n' | sort -rn | head -n 12 | awk '{ printf "  %6.1f MB  %s\n", $1 / 1048576, $2 }'
echo
echo "SMOKE TEST PASSED: $PROG"
