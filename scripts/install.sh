#!/usr/bin/env bash
# Installs (or uninstalls) tapover from this source tree: jar, launcher, systemd unit, example config and docs.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_CANTCREAT=73 EX_NOPERM=77

PROG=${0##*/}
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

usage() {
  cat <<EOF
Usage: sudo $PROG [OPTIONS]

Installs tapover from this source tree ($ROOT):

  /usr/share/tapover/tapover.jar          the agent: agent/target/tapover.jar, or --jar FILE
  /usr/bin/tapover                        the launcher (scripts/tapover); it finds the jar above
  /lib/systemd/system/tapover@.service    the unit template (packaging/tapover@.service)
  /usr/share/tapover/tapover.env.example  an example instance file (packaging/tapover.env)
  /usr/share/doc/tapover/                 README.systemd.md and the docs (docs/*.md, docs/img/*.png)
  /etc/tapover/NAME.env                   with --instance NAME: the instance's configuration

Running it again is safe: files that did not change are left alone, and instance files under
/etc/tapover are never overwritten (only their TAPOVER_ARGS line, and only with --args).

Options:
  --jar FILE        install this jar instead of agent/target/tapover.jar (build that with:
                    mvn -q -DskipTests package)
  --instance NAME   create /etc/tapover/NAME.env from the example if it does not exist yet
  --args "ARGS"     with --instance: set TAPOVER_ARGS="ARGS" in /etc/tapover/NAME.env, e.g.
                    --args "--master fo0 --primary eth1 --standby eth2 --address 192.0.2.1/24"
  --start           with --instance: systemctl enable tapover@NAME and start it; restart it when
                    this run changed an installed file or the instance file
  --prefix DIR      install under the staging root DIR instead of / (like DESTDIR: the files land in
                    DIR/usr/bin, DIR/etc/tapover ...; they are meant to run from /). No root needed,
                    and systemctl is never called.
  --uninstall       stop and disable every tapover@ instance, remove the installed files; instance
                    files in /etc/tapover stay
  --purge           with --uninstall: also remove /etc/tapover and /var/lib/tapover
  -h, --help        this text

Environment:
  DESTDIR           the same as --prefix (--prefix wins)

Runtime needs (not installed by this script): a Java 17+ runtime and libpcap, e.g.
  apt-get install openjdk-17-jre-headless libpcap0.8

Examples:
  sudo scripts/install.sh
  sudo scripts/install.sh --instance uplink --args "--master fo0 --primary eth1 --standby eth2 --address 192.0.2.1/24" --start
  scripts/install.sh --prefix /tmp/tovinst          # stage into a scratch root, e.g. for a package
  sudo scripts/install.sh --uninstall

Exit codes: 0 ok, 64 usage, 69 something needed is missing (the jar, systemd), 73 a file could
not be written, 77 not root.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit $EX_USAGE; }
say() { echo "$PROG: $*"; }

# ------------------------------------------------------------------------------------------ options

JAR=$ROOT/agent/target/tapover.jar
INSTANCE=
ARGS=
ARGS_SET=0
START=0
UNINSTALL=0
PURGE=0
DEST=${DESTDIR:-}

while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --jar) [ $# -ge 2 ] || usage_error "--jar needs a FILE"; JAR=$2; shift 2 ;;
    --jar=*) JAR=${1#*=}; shift ;;
    --instance) [ $# -ge 2 ] || usage_error "--instance needs a NAME"; INSTANCE=$2; shift 2 ;;
    --instance=*) INSTANCE=${1#*=}; shift ;;
    --args) [ $# -ge 2 ] || usage_error "--args needs a value (quote it)"; ARGS=$2; ARGS_SET=1; shift 2 ;;
    --args=*) ARGS=${1#*=}; ARGS_SET=1; shift ;;
    --start) START=1; shift ;;
    --prefix) [ $# -ge 2 ] || usage_error "--prefix needs a DIR"; DEST=$2; shift 2 ;;
    --prefix=*) DEST=${1#*=}; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

if [ -n "$INSTANCE" ] && ! [[ $INSTANCE =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; then
  usage_error "--instance '$INSTANCE' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
fi
[ "$ARGS_SET" -eq 0 ] || [ -n "$INSTANCE" ] || usage_error "--args needs --instance NAME (the file it goes into)"
[ "$START" -eq 0 ] || [ -n "$INSTANCE" ] || usage_error "--start needs --instance NAME (the instance to start)"
if [ "$ARGS_SET" -eq 1 ]; then
  [ -n "${ARGS// /}" ] || usage_error "--args is empty; give the options of 'tapover run'"
  case $ARGS in
    *[\"\\\$\`]*|*$'\n'*) usage_error "--args may not contain quotes, backslashes, '\$', backquotes or newlines" ;;
  esac
fi
if [ "$PURGE" -eq 1 ] && [ "$UNINSTALL" -eq 0 ]; then usage_error "--purge only goes with --uninstall"; fi
if [ "$UNINSTALL" -eq 1 ] && { [ -n "$INSTANCE" ] || [ "$START" -eq 1 ]; }; then
  usage_error "--uninstall takes no --instance, --args or --start"
fi

# The staging root: empty means the real system.
if [ -n "$DEST" ]; then
  case $DEST in /*) ;; *) DEST=$PWD/$DEST ;; esac
  DEST=${DEST%/}
fi
STAGED=0
[ -z "$DEST" ] || STAGED=1
if [ "$STAGED" -eq 1 ] && [ "$START" -eq 1 ]; then
  usage_error "--start cannot go with --prefix/DESTDIR: a staged install is not the running system"
fi
if [ "$STAGED" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die $EX_NOPERM "installing into / needs root; run: sudo $0 (or stage it with --prefix DIR)"
fi

readonly JAR_DEST=/usr/share/tapover/tapover.jar
readonly LAUNCHER_DEST=/usr/bin/tapover
readonly UNIT_DEST=/lib/systemd/system/tapover@.service
readonly EXAMPLE_DEST=/usr/share/tapover/tapover.env.example
readonly DOC_DIR=/usr/share/doc/tapover
readonly CONF_DIR=/etc/tapover
readonly STATE_DIR=/var/lib/tapover

# systemd is running (not a chroot, a container without it, or a staged install).
systemd_running() { [ "$STAGED" -eq 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# -------------------------------------------------------------------------------------- installing

CHANGED=0

# install_file SRC DEST MODE: copies SRC to $DEST/DEST unless it is already identical; counts changes.
install_file() {
  local src=$1 dst=$DEST$2 mode=$3 cur_mode
  [ -f "$src" ] || die $EX_UNAVAILABLE "$src is missing from the source tree; is $ROOT a complete tapover checkout?"
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    cur_mode=$(stat -c %a "$dst")
    if [ "$cur_mode" = "${mode#0}" ]; then
      say "unchanged  $2"
      return 0
    fi
  fi
  install -D -m "$mode" "$src" "$dst" || die $EX_CANTCREAT "could not write $dst"
  CHANGED=$((CHANGED + 1))
  say "installed  $2"
}

# set_args FILE: puts TAPOVER_ARGS="$ARGS" into FILE, replacing an existing TAPOVER_ARGS line.
set_args() {
  local file=$1 tmp
  tmp=$(mktemp "$file.XXXXXX") || die $EX_CANTCREAT "could not write next to $file"
  TAPOVER_NEW_ARGS=$ARGS awk '
    BEGIN { line = "TAPOVER_ARGS=\"" ENVIRON["TAPOVER_NEW_ARGS"] "\"" }
    /^[[:space:]]*TAPOVER_ARGS=/ { if (!done) print line; done = 1; next }
    { print }
    END { if (!done) print line }
  ' "$file" >"$tmp" || { rm -f "$tmp"; die $EX_CANTCREAT "could not rewrite $file"; }
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$file"
}

check_runtime() {
  # Hints only: the launcher reports a missing java itself, with the same advice.
  local java=
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java=$JAVA_HOME/bin/java; else java=$(command -v java || true); fi
  [ -n "$java" ] || say "note: no java found; tapover needs a Java 17+ runtime (apt-get install openjdk-17-jre-headless)"
  if ! ldconfig -p 2>/dev/null | grep -q 'libpcap\.so'; then
    say "note: libpcap not found; tapover needs it (apt-get install libpcap0.8)"
  fi
}

do_install() {
  [ -f "$JAR" ] || die $EX_UNAVAILABLE "$JAR not found; build it first: (cd $ROOT && mvn -q -DskipTests package), or pass --jar FILE"
  [ "$(head -c 2 "$JAR")" = PK ] || die $EX_UNAVAILABLE "$JAR is not a jar file"

  install_file "$JAR" "$JAR_DEST" 0644
  install_file "$ROOT/scripts/tapover" "$LAUNCHER_DEST" 0755
  install_file "$ROOT/packaging/tapover@.service" "$UNIT_DEST" 0644
  install_file "$ROOT/packaging/tapover.env" "$EXAMPLE_DEST" 0644
  install_file "$ROOT/packaging/README.md" "$DOC_DIR/README.systemd.md" 0644
  local doc
  for doc in "$ROOT"/docs/*.md "$ROOT"/docs/img/*.png; do
    [ -e "$doc" ] || continue
    case $doc in */img/*) install_file "$doc" "$DOC_DIR/img/${doc##*/}" 0644 ;; *) install_file "$doc" "$DOC_DIR/${doc##*/}" 0644 ;; esac
  done
  install -d -m 0755 "$DEST$CONF_DIR" || die $EX_CANTCREAT "could not create $DEST$CONF_DIR"

  local instance_changed=0
  if [ -n "$INSTANCE" ]; then
    local conf=$DEST$CONF_DIR/$INSTANCE.env
    if [ -e "$conf" ]; then
      say "kept       $CONF_DIR/$INSTANCE.env (it exists; edit it by hand or use --args)"
    else
      install -m 0644 "$ROOT/packaging/tapover.env" "$conf" || die $EX_CANTCREAT "could not write $conf"
      instance_changed=1
      say "created    $CONF_DIR/$INSTANCE.env (from the example)"
    fi
    if [ "$ARGS_SET" -eq 1 ]; then
      if set_args "$conf"; then
        instance_changed=1
        say "set        TAPOVER_ARGS in $CONF_DIR/$INSTANCE.env"
      else
        say "unchanged  TAPOVER_ARGS in $CONF_DIR/$INSTANCE.env"
      fi
    fi
  fi

  if systemd_running; then
    if [ "$CHANGED" -gt 0 ]; then systemctl daemon-reload; fi
  elif [ "$STAGED" -eq 0 ]; then
    say "note: systemd is not running here; the unit is installed but nothing was enabled or started"
  fi

  if [ "$START" -eq 1 ]; then
    systemd_running || die $EX_UNAVAILABLE "--start needs a running systemd; start the agent by hand: tapover run \$TAPOVER_ARGS"
    local unit="tapover@$INSTANCE.service"
    systemctl enable --quiet "$unit"
    if ! systemctl is-active --quiet "$unit"; then
      systemctl start "$unit"
      say "started    $unit"
    elif [ "$CHANGED" -gt 0 ] || [ "$instance_changed" -eq 1 ]; then
      systemctl restart "$unit"
      say "restarted  $unit (an installed file or its configuration changed)"
    else
      say "running    $unit (nothing changed)"
    fi
  elif [ -n "$INSTANCE" ] && [ "$STAGED" -eq 0 ]; then
    say "next: edit $CONF_DIR/$INSTANCE.env, then: systemctl enable --now tapover@$INSTANCE"
  fi

  [ "$STAGED" -eq 1 ] || check_runtime
  if [ "$STAGED" -eq 1 ]; then
    say "staged into $DEST ($CHANGED files changed)"
  else
    say "done ($CHANGED files changed); try: tapover --version"
  fi
}

# ------------------------------------------------------------------------------------ uninstalling

remove_file() {
  local f=$DEST$1
  if [ -e "$f" ] || [ -L "$f" ]; then
    rm -f "$f" || die $EX_CANTCREAT "could not remove $f"
    say "removed    $1"
  fi
}

do_uninstall() {
  if systemd_running; then
    local units=() u
    mapfile -t units < <(
      {
        systemctl list-units --all --plain --no-legend 'tapover@*.service' 2>/dev/null | awk '{print $1}'
        find /etc/systemd/system -path '*.wants/tapover@*.service' -printf '%f\n' 2>/dev/null
      } | grep -E '^tapover@.+\.service$' | sort -u
    )
    for u in "${units[@]}"; do
      systemctl disable --now --quiet "$u" 2>/dev/null || true
      say "stopped    $u (and disabled it)"
    done
  fi
  remove_file "$UNIT_DEST"
  remove_file "$LAUNCHER_DEST"
  remove_file "$JAR_DEST"
  remove_file "$EXAMPLE_DEST"
  if [ -d "$DEST$DOC_DIR" ]; then
    rm -rf -- "$DEST$DOC_DIR" || die $EX_CANTCREAT "could not remove $DEST$DOC_DIR"
    say "removed    $DOC_DIR/"
  fi
  rmdir "$DEST/usr/share/tapover" 2>/dev/null || true
  if systemd_running; then systemctl daemon-reload; fi
  if [ "$PURGE" -eq 1 ]; then
    local d
    for d in "$CONF_DIR" "$STATE_DIR"; do
      if [ -d "$DEST$d" ]; then rm -rf "$DEST$d"; say "purged     $d/"; fi
    done
  elif [ -d "$DEST$CONF_DIR" ]; then
    say "kept       $CONF_DIR/ (instance files; --uninstall --purge removes them)"
  fi
  say "uninstalled"
}

if [ "$UNINSTALL" -eq 1 ]; then do_uninstall; else do_install; fi
