#!/usr/bin/env bash
# A real Apache Kafka broker for tests and CI: one KRaft node (broker and controller in one JVM) on
# 127.0.0.1, fetched from Maven Central with Maven (docs/kafka.md says why these choices).
#
#   scripts/kafka.sh fetch             copy the broker's jars into the cache (once; offline when cached)
#   scripts/kafka.sh start DIR         fetch, format a fresh store in DIR on free ports, start, wait
#                                      until it serves; writes DIR/bootstrap (host:port), DIR/pid,
#                                      DIR/server.log
#   scripts/kafka.sh stop DIR          SIGTERM (a controlled shutdown), SIGKILL after a timeout
#   scripts/kafka.sh kill DIR          SIGKILL at once (a crash, for tests)
#   scripts/kafka.sh restart DIR       start again on DIR's existing store and ports
#   scripts/kafka.sh run DIR -- CMD... start, run CMD with KEZEK_KAFKA_BOOTSTRAP (and KEZEK_KAFKA_DIR) set, stop whatever
#                                      CMD does (also on Ctrl-C); exits with CMD's status
#
# Environment: KEZEK_KAFKA_VERSION (default 3.9.1), KEZEK_KAFKA_CACHE (default
# ~/.cache/kezek/kafka-VERSION), KEZEK_KAFKA_HEAP (default 512m), KEZEK_KAFKA_START_TIMEOUT (120 s),
# KEZEK_KAFKA_STOP_TIMEOUT (30 s), KEZEK_KAFKA_JVM_OPTS (more options for the broker's JVM).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=${KEZEK_KAFKA_VERSION:-3.9.1}
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${KEZEK_KAFKA_CACHE:-${XDG_CACHE_HOME:-$home/.cache}/kezek/kafka-$version}
libs=$cache/libs
heap=${KEZEK_KAFKA_HEAP:-512m}
# Kafka 4 logs through log4j 2, Kafka 3 through reload4j (log4j 1.2): the pom's profile and the
# logging configuration follow the major version.
if [ "${version%%.*}" -ge 4 ]; then
  profile=kafka4
  log_config="-Dlog4j2.configurationFile=$here/kafka/log4j2.properties"
else
  profile=kafka3
  log_config="-Dlog4j.configuration=file:$here/kafka/log4j.properties"
fi
start_timeout=${KEZEK_KAFKA_START_TIMEOUT:-120}
stop_timeout=${KEZEK_KAFKA_STOP_TIMEOUT:-30}

say() { echo "kafka: $*" >&2; }
die() { say "$*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# What the cache was filled from: a change of version or of the pom fetches again.
fetch_key() { printf '%s\n' "$version" "$(sha256sum < "$here/kafka/pom.xml")"; }

cmd_fetch() {
  if [ -f "$libs/.complete" ] && [ "$(cat "$libs/.complete")" = "$(fetch_key)" ]; then
    return 0
  fi
  command -v mvn > /dev/null || die "mvn not found: run scripts/setup.sh"
  mkdir -p "$cache"
  exec 9> "$cache/.lock"
  flock 9   # two fetches at once (two clones, two test runs) take turns; the second finds it done
  if [ -f "$libs/.complete" ] && [ "$(cat "$libs/.complete")" = "$(fetch_key)" ]; then
    exec 9>&-
    return 0
  fi
  local t0; t0=$(now)
  say "fetching org.apache.kafka:kafka_2.13:$version and its runtime dependencies into $cache"
  rm -rf "$cache/libs.tmp"
  # Maven's own repository lives inside the cache too, so removing the cache folder is a cold start.
  if ! mvn -B -q -Dstyle.color=never -f "$here/kafka/pom.xml" -P"$profile" -Dkafka.version="$version" \
      -Dmaven.repo.local="$cache/m2" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$cache/libs.tmp" > "$cache/fetch.log" 2>&1; then
    tail -n 30 "$cache/fetch.log" >&2
    die "fetch failed (whole log: $cache/fetch.log)"
  fi
  [ -f "$cache/libs.tmp/kafka_2.13-$version.jar" ] || die "fetch made no kafka_2.13-$version.jar"
  fetch_key > "$cache/libs.tmp/.complete"
  rm -rf "$libs"
  mv "$cache/libs.tmp" "$libs"
  rm -rf "$cache/m2"   # the jars are copied; Maven's repository would only double the size
  exec 9>&-
  say "fetched $(find "$libs" -name '*.jar' | wc -l) jars ($(du -sh "$libs" | cut -f1)) in $(since "$t0") s"
}

# Two free TCP ports on 127.0.0.1 (broker, controller). Another process may take one before the
# broker binds it: start retries with new ports when the broker could not bind.
free_ports() {
  python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))'
}

# A cluster id as Kafka's own `random-uuid` makes one: 16 random bytes in URL-safe base64 without
# padding, not starting with '-'. Made here to save starting a JVM.
cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [ "${id:0:1}" != "-" ] && { echo "$id"; return; }
  done
}

write_config() { # DIR BROKER_PORT CONTROLLER_PORT
  cat > "$1/server.properties" <<EOF
# Written by scripts/kafka.sh: one KRaft node, broker and controller, on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$3
listeners=PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$1/data
# A single node: every replication factor and minimum ISR is 1, so that transactions work.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# The internal topics are small here (a test broker starts faster with fewer partitions).
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
num.partitions=1
# Topics are made by their owner (the Admin API), never by a client that names one.
auto.create.topics.enable=false
# Nothing is deleted by age or size unless a topic says so: records carry the actions' own instants,
# which may be years old, and the default 7 days would delete them at once.
log.retention.ms=-1
log.retention.bytes=-1
# A consumer group starts at once instead of waiting for more members (3 s by default).
group.initial.rebalance.delay.ms=0
EOF
}

# The broker's pid if it runs (and is ours: its command line names DIR), else nothing.
broker_pid() { # DIR
  local dir=$1 pid state
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "-Dkezek.kafka.dir=$dir" || return 0
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || echo X)
  [ "$state" != Z ] && [ "$state" != X ] && echo "$pid"
  return 0
}

absdir() { mkdir -p "$1" && (cd "$1" && pwd); }

launch() { # DIR: start the JVM, wait until it serves
  local dir=$1 t0 pid port
  t0=$(now)
  : > "$dir/server.log"
  local extra=()
  read -r -a extra <<< "${KEZEK_KAFKA_JVM_OPTS:-}"   # split on blanks, as a shell would
  nohup java -Xms128m "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true "$log_config" "-Dkezek.kafka.dir=$dir" \
    ${extra[@]+"${extra[@]}"} -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >> "$dir/server.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/pid"
  port=$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$dir/server.properties")
  # Serving: the broker logs that it started once it has caught up with the metadata log and been
  # unfenced by the controller (it then takes topic creations), and its port accepts connections.
  while :; do
    if [ -z "$(broker_pid "$dir")" ]; then
      rm -f "$dir/pid"
      return 1
    fi
    if grep -q 'Kafka Server started' "$dir/server.log" && (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      break
    fi
    if [ "$(since "$t0" | cut -d. -f1)" -ge "$start_timeout" ]; then
      tail -n 20 "$dir/server.log" >&2
      cmd_stop "$dir"
      die "the broker did not serve within $start_timeout s (log: $dir/server.log)"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port" > "$dir/bootstrap"
  say "Kafka $version serves on 127.0.0.1:$port (started in $(since "$t0") s; pid $pid; log $dir/server.log)"
}

cmd_start() { # DIR
  local dir ports cid attempt t0
  [ $# -eq 1 ] || die "usage: scripts/kafka.sh start DIR"
  dir=$(absdir "$1")
  [ -z "$(broker_pid "$dir")" ] || die "a broker already runs in $dir (pid $(cat "$dir/pid"))"
  cmd_fetch
  command -v java > /dev/null || die "java not found: run scripts/setup.sh"
  for attempt in 1 2 3; do
    rm -rf "$dir/data" "$dir/bootstrap" "$dir/pid"
    read -r -a ports <<< "$(free_ports)"
    write_config "$dir" "${ports[0]}" "${ports[1]}"
    t0=$(now)
    cid=$(cluster_id)
    if ! java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        "$log_config" -cp "$libs/*" \
        kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" > "$dir/format.log" 2>&1; then
      cat "$dir/format.log" >&2
      die "formatting the store failed"
    fi
    say "formatted a KRaft store (cluster $cid) in $dir/data in $(since "$t0") s"
    launch "$dir" && return 0
    if grep -q 'BindException\|Address already in use' "$dir/server.log"; then
      say "ports ${ports[*]} were taken before the broker bound them; trying others ($attempt)"
      continue
    fi
    tail -n 30 "$dir/server.log" >&2
    die "the broker exited while starting (log: $dir/server.log)"
  done
  die "no free ports after 3 tries"
}

cmd_restart() { # DIR
  local dir
  [ $# -eq 1 ] || die "usage: scripts/kafka.sh restart DIR"
  dir=$(absdir "$1")
  [ -f "$dir/server.properties" ] && [ -d "$dir/data" ] || die "no store in $dir: use start"
  [ -z "$(broker_pid "$dir")" ] || die "a broker already runs in $dir (pid $(cat "$dir/pid"))"
  cmd_fetch
  [ -f "$dir/server.log" ] && cat "$dir/server.log" >> "$dir/server.log.old"
  launch "$dir" || { tail -n 30 "$dir/server.log" >&2; die "the broker exited while restarting"; }
}

cmd_stop() { # DIR [SIGNAL]
  local dir pid t0 signal=${2:-TERM}
  dir=$(absdir "$1")
  pid=$(broker_pid "$dir")
  if [ -z "$pid" ]; then
    rm -f "$dir/pid"
    return 0
  fi
  t0=$(now)
  kill "-$signal" "$pid" 2>/dev/null || true
  while [ -n "$(broker_pid "$dir")" ]; do
    if [ "$signal" = TERM ] && [ "$(since "$t0" | cut -d. -f1)" -ge "$stop_timeout" ]; then
      say "no controlled shutdown within $stop_timeout s: SIGKILL"
      signal=KILL
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$dir/pid"
  say "stopped (SIG$signal) in $(since "$t0") s"
}

cmd_run() { # DIR -- CMD...
  local dir rc
  [ $# -ge 3 ] && [ "$2" = "--" ] || die "usage: scripts/kafka.sh run DIR -- CMD..."
  dir=$(absdir "$1")
  shift 2
  trap 'cmd_stop "$dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_start "$dir"
  # CMD runs in the background so that a signal to this script is handled at once (bash runs a
  # trap only after its foreground command ends): CMD is sent SIGTERM and waited for, then the
  # broker stops. Its standard input stays this script's.
  KEZEK_KAFKA_BOOTSTRAP=$(cat "$dir/bootstrap") KEZEK_KAFKA_DIR=$dir "$@" <&0 &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
  set +e
  wait "$child"
  rc=$?
  set -e
  exit "$rc"
}

case "${1:-}" in
  fetch) shift; cmd_fetch "$@"; echo "$libs" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; [ $# -eq 1 ] || die "usage: scripts/kafka.sh stop DIR"; cmd_stop "$1" ;;
  kill) shift; [ $# -eq 1 ] || die "usage: scripts/kafka.sh kill DIR"; cmd_stop "$1" KILL ;;
  restart) shift; cmd_restart "$@" ;;
  run) shift; cmd_run "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
