#!/bin/sh
# Install the frozen program (dist/redstation, made by `make dist`) for the current user on Linux:
# the program in ~/.local/opt/redstation, the command in ~/.local/bin, the menu entry and its
# icons under ~/.local/share. The data stays where it always is (~/.local/share/RedStation);
# installing a newer version over an older one replaces the program only.
#
#   sh installer/install-linux.sh [dist/redstation]      install or update
#   sh installer/install-linux.sh --uninstall            remove the program, keep the data
set -eu

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OPT="$HOME/.local/opt/redstation"
BIN="$HOME/.local/bin"
SHARE="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$SHARE/applications"
ICONS="$SHARE/icons/hicolor"
SIZES="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$OPT"
    rm -f "$BIN/redstation" "$APPS/redstation.desktop" "$ICONS/scalable/apps/redstation.svg"
    for size in $SIZES; do rm -f "$ICONS/${size}x${size}/apps/redstation.png"; done
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
    echo "RedStation removed. Your data is still in $SHARE/RedStation (delete that folder to remove it too)."
    exit 0
fi

DIST="$(cd "${1:-$ROOT/dist/redstation}" && pwd)"
[ -x "$DIST/redstation" ] || { echo "no program in $DIST: run 'make dist' first" >&2; exit 1; }

mkdir -p "$(dirname "$OPT")" "$BIN" "$APPS"
rm -rf "$OPT.new"
cp -a "$DIST" "$OPT.new"
rm -rf "$OPT"
mv "$OPT.new" "$OPT"
ln -sf "$OPT/redstation" "$BIN/redstation"

for size in $SIZES; do
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$ROOT/resources/icons/redstation-$size.png" "$ICONS/${size}x${size}/apps/redstation.png"
done
mkdir -p "$ICONS/scalable/apps"
cp "$ROOT/resources/icons/redstation.svg" "$ICONS/scalable/apps/redstation.svg"
# The menu starts the program by its full path, whether or not ~/.local/bin is on the PATH. The path is
# quoted as the desktop entry specification asks (a home folder may hold spaces or quotes): inside double
# quotes \ " ` $ get a backslash, then the value's own escaping doubles every backslash, and % becomes %%.
exec_quoted() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')"
}
EXEC_LINE="Exec=$(exec_quoted "$OPT/redstation")" awk \
    '/^Exec=redstation$/ { print ENVIRON["EXEC_LINE"]; next } { print }' \
    "$ROOT/installer/redstation.desktop" > "$APPS/redstation.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" || true
echo "RedStation $("$OPT/redstation" --version | sed 's/^RedStation //') installed in $OPT; start it from the menu or with 'redstation'."
