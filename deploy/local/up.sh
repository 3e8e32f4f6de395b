#!/usr/bin/env bash
# Makes sure the local NATS (with JetStream) and PostgreSQL the tests and the demo need are running,
# installing them from Debian's packages when they are missing. Idempotent.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
wait_port() {
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  echo "up: nothing answers on 127.0.0.1:$1" >&2; return 1
}

if ! port_open 4222; then
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  store=${NATS_STORE_DIR:-/var/lib/nats-server}
  as_root mkdir -p "$store"
  echo "up: starting nats-server (JetStream in $store)" >&2
  as_root start-stop-daemon --start --oknodo --background --exec "$bin" -- \
    -a 127.0.0.1 -p 4222 -js -sd "$store"
  wait_port 4222
fi

if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$ver/main
  # Local trust auth for the tests (a development machine only).
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$conf/pg_hba.conf"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  echo "up: starting PostgreSQL $ver" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_port 5432
fi
# The role the services connect as.
if command -v psql >/dev/null; then
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1 \
    || echo "up: warning: cannot connect to PostgreSQL as postgres on 127.0.0.1 (trust auth expected)" >&2
fi
echo "up: NATS on 127.0.0.1:4222, PostgreSQL on 127.0.0.1:5432" >&2
