#!/usr/bin/env bash
# A PostgreSQL server of the benchmark's own: benchmarks/pg.sh start|stop [DIR] [PORT].
# Debian's postgresql package (scripts/setup.sh installs it); its own data directory in DIR
# (default ${TMPDIR:-/tmp}/kezek-pg), listening on 127.0.0.1:PORT (default 54329) only, trust
# authentication on loopback. As root, the server runs as the 'postgres' user (it refuses root).
# Tuned as a team would tune a dedicated database host of this size: 4 GiB shared buffers, large
# WAL and checkpoint spacing, fsync and full-page writes kept on.
set -euo pipefail
action=${1:?usage: benchmarks/pg.sh start|stop [DIR] [PORT]}
dir=${2:-${TMPDIR:-/tmp}/kezek-pg}
port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C > "$dir.initdb.log"
      cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_buffers = 4GB
effective_cache_size = 12GB
work_mem = 32MB
maintenance_work_mem = 512MB
wal_buffers = 64MB
max_wal_size = 16GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
wal_compression = on
fsync = on
full_page_writes = on
logging_collector = off
CONF
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start > /dev/null
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop > /dev/null; fi
    ;;
  *) echo "usage: benchmarks/pg.sh start|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
