#!/usr/bin/env bash
# Checks the tapover Wireshark profile with tshark: every rule and button compiles, and each announcement form gets its colour.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70

PROG=${0##*/}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(dirname "$HERE")
PROFILE=$HERE/profiles/tapover
GOLDEN=$ROOT/agent/src/test/resources/announce/AnnouncementFramesTest
SAMPLE=$ROOT/docs/img/failover-sample.pcapng

usage() {
  cat <<EOF
Usage: $PROG [CAPTURE...]

Loads wireshark/profiles/tapover into tshark (through a scratch WIRESHARK_CONFIG_DIR, so your own
Wireshark settings are neither read nor changed) and checks:
  - every colouring rule and every filter button compiles (tshark reports no error)
  - the agent's golden frames ($GOLDEN/*.pcap)
    get the colouring rule of their form: gratuitous ARP request (target MAC 0 or broadcast),
    reply, RARP, unsolicited NA, also VLAN-tagged
  - in the sample failover capture (docs/img/failover-sample.pcapng), if present, every frame from
    the master's MAC gets a 'tapover' rule and the pings to and from the master are coloured
With CAPTURE arguments, it also prints the rule that colours each frame of those files.

Needs tshark (apt-get install tshark). Exit codes: 0 ok, 64 usage, 69 tshark or a file is missing,
70 a check failed.
EOF
}

case ${1:-} in -h|--help|help) usage; exit 0 ;; -*) echo "$PROG: unknown option '$1' (see --help)" >&2; exit $EX_USAGE ;; esac
command -v tshark >/dev/null 2>&1 || { echo "$PROG: tshark not found; apt-get install tshark" >&2; exit $EX_UNAVAILABLE; }
for f in colorfilters preferences dfilter_buttons; do
  [ -f "$PROFILE/$f" ] || { echo "$PROG: $PROFILE/$f is missing" >&2; exit $EX_UNAVAILABLE; }
done
[ -d "$GOLDEN" ] || { echo "$PROG: $GOLDEN is missing (a full checkout is needed)" >&2; exit $EX_UNAVAILABLE; }

CONF=$(mktemp -d /tmp/tapover-wsprofile.XXXXXX)
trap 'rm -rf "$CONF"' EXIT
mkdir -p "$CONF/profiles"
ln -s "$PROFILE" "$CONF/profiles/tapover"
export WIRESHARK_CONFIG_DIR=$CONF

FAILED=0
fail() { echo "FAIL $*"; FAILED=1; }
pass() { echo "ok   $*"; }

# rules FILE: "frame<TAB>rule name" for every frame, as the profile colours it.
rules() {
  tshark -C tapover --color -n -r "$1" -T fields -E separator=/t -e frame.number -e frame.coloring_rule.name 2>"$CONF/err"
}

# 1. Everything compiles. tshark names a colouring rule it cannot compile on stderr.
rules "$GOLDEN/arpRequest.pcap" >/dev/null || true
if [ -s "$CONF/err" ] && grep -qiv 'running as user' "$CONF/err"; then
  fail "loading the profile: $(grep -iv 'running as user' "$CONF/err" | tr '\n' ' ')"
else
  pass "colouring rules load without errors ($(grep -c '^@' "$PROFILE/colorfilters") rules)"
fi
while IFS= read -r line; do
  case $line in '#'*|'') continue ;; esac
  label=$(cut -d'"' -f4 <<<"$line")
  expr=$(cut -d'"' -f6 <<<"$line")
  if tshark -n -r "$GOLDEN/arpRequest.pcap" -Y "$expr" >/dev/null 2>"$CONF/err"; then
    pass "button '$label' compiles"
  else
    fail "button '$label': $(tr '\n' ' ' <"$CONF/err")"
  fi
done <"$PROFILE/dfilter_buttons"

# 2. Each form gets its own colour.
R_ZERO="tapover: gratuitous ARP request, target MAC 0 (announcement)"
R_BCAST="tapover: gratuitous ARP request, target MAC broadcast"
R_REPLY="tapover: gratuitous ARP reply"
R_RARP="tapover: RARP (QEMU announce-self form)"
R_NA="tapover: unsolicited neighbour advertisement"
expect() {
  local file=$1; shift
  local got want i=1
  [ -f "$GOLDEN/$file" ] || { fail "$file: missing"; return; }
  mapfile -t got < <(rules "$GOLDEN/$file" | cut -f2)
  for want in "$@"; do
    if [ "${got[$((i - 1))]:-}" = "$want" ]; then
      pass "$file frame $i: $want"
    else
      fail "$file frame $i: coloured by '${got[$((i - 1))]:-nothing}', expected '$want'"
    fi
    i=$((i + 1))
  done
}
expect arpRequest.pcap "$R_ZERO"
expect arpRequestBroadcast.pcap "$R_BCAST"
expect arpReply.pcap "$R_REPLY"
expect arpAlternate.pcap "$R_ZERO" "$R_REPLY" "$R_ZERO"
expect rarp.pcap "$R_RARP"
expect neighborAdvertisement.pcap "$R_NA"
expect vlanTagged.pcap "$R_ZERO" "$R_ZERO" "$R_NA"

# 3. The sample failover capture.
if [ -f "$SAMPLE" ]; then
  uncoloured=$(tshark -C tapover --color -n -r "$SAMPLE" -Y 'eth.src == 02:00:5e:00:53:01' \
                 -T fields -e frame.number -e frame.coloring_rule.name 2>/dev/null | grep -vc $'\ttapover' || true)
  if [ "$uncoloured" -eq 0 ]; then pass "sample: every frame from the master's MAC has a tapover rule"
  else fail "sample: $uncoloured frames from the master's MAC have no tapover rule"; fi
  for r in "tapover lab: echo request to the master" "tapover lab: echo reply from the master" "$R_ZERO" "$R_NA"; do
    n=$(rules "$SAMPLE" | cut -f2 | grep -cxF "$r" || true)
    if [ "$n" -gt 0 ]; then pass "sample: $n frames coloured '$r'"; else fail "sample: no frame coloured '$r'"; fi
  done
else
  echo "skip sample: $SAMPLE not found"
fi

# 4. Captures given on the command line.
for f in "$@"; do
  echo "== $f"
  tshark -C tapover --color -n -r "$f" -T fields -E separator=/t -e frame.number -e _ws.col.Info \
    -e frame.coloring_rule.name 2>/dev/null | awk -F'\t' '{ printf "%6s  %-60.60s  %s\n", $1, $2, $3 }'
done

if [ "$FAILED" -ne 0 ]; then echo "$PROG: FAILED"; exit $EX_SOFTWARE; fi
echo "$PROG: all checks passed"
