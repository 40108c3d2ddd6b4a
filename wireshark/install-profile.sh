#!/usr/bin/env bash
# Copies the tapover Wireshark profile into your Wireshark configuration, so `wireshark -C tapover` finds it.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_CANTCREAT=73

PROG=${0##*/}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SRC=$HERE/profiles/tapover

usage() {
  cat <<EOF
Usage: $PROG [--config-dir DIR] [--force]

Copies wireshark/profiles/tapover (colorfilters, preferences, dfilter_buttons) to
DIR/profiles/tapover. DIR is Wireshark's personal configuration directory:
\$WIRESHARK_CONFIG_DIR if set, else \${XDG_CONFIG_HOME:-\$HOME/.config}/wireshark.
Run it as the user who runs Wireshark (not with sudo).

An existing profile of that name whose three files differ is kept unless --force is given (then it
is first moved to tapover.bak-<time>, which Wireshark lists as a profile too; files Wireshark adds
itself, such as 'recent', do not count). Afterwards: wireshark -C tapover -r capture.pcap, or pick 'tapover' in the
status bar's profile menu.

Exit codes: 0 ok, 64 usage, 69 the profile is missing from this checkout, 73 cannot write DIR.
EOF
}

DIR=${WIRESHARK_CONFIG_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/wireshark}
FORCE=0
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --config-dir) [ $# -ge 2 ] || { echo "$PROG: --config-dir needs a DIR" >&2; exit $EX_USAGE; }; DIR=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    *) echo "$PROG: unknown argument '$1' (see --help)" >&2; exit $EX_USAGE ;;
  esac
done

[ -f "$SRC/colorfilters" ] || { echo "$PROG: $SRC is incomplete; use a full checkout" >&2; exit $EX_UNAVAILABLE; }
DEST=$DIR/profiles/tapover

if [ -e "$DEST" ]; then
  if [ "$FORCE" -eq 0 ]; then
    same=1
    for f in colorfilters preferences dfilter_buttons; do
      cmp -s "$SRC/$f" "$DEST/$f" || same=0
    done
    if [ "$same" -eq 1 ]; then
      echo "$PROG: $DEST is already up to date"
      exit 0
    fi
    echo "$PROG: $DEST exists and differs (edited in Wireshark?); rerun with --force to replace it (a backup is kept)" >&2
    exit $EX_CANTCREAT
  fi
  backup=$DEST.bak-$(date +%Y%m%d%H%M%S)
  mv "$DEST" "$backup" || { echo "$PROG: could not move $DEST aside" >&2; exit $EX_CANTCREAT; }
  echo "$PROG: kept the old profile as $backup"
fi

mkdir -p "$DEST" || { echo "$PROG: could not create $DEST" >&2; exit $EX_CANTCREAT; }
cp "$SRC"/colorfilters "$SRC"/preferences "$SRC"/dfilter_buttons "$DEST"/ \
  || { echo "$PROG: could not copy the profile to $DEST" >&2; exit $EX_CANTCREAT; }
echo "$PROG: installed $DEST"
echo "$PROG: open a capture with it: wireshark -C tapover -r demo.pcap"
