#!/usr/bin/env bash
# Ensures MariaDB and Redis run on loopback for the tests: starts them when stopped,
# installs them (Debian packages) when missing, and creates the test account
# huabei_test/huabei_test through the local socket (a fresh Debian MariaDB lets root in
# only over the socket). Fails loudly when they cannot be had.
set -uo pipefail

log() { echo "services: $*" >&2; }
die() { echo "services: FATAL: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_install=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
if [ ${#need_install[@]} -gt 0 ]; then
  log "installing ${need_install[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed"
  $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null || die "apt-get install ${need_install[*]} failed"
fi

mysql_up() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1 || mariadb-admin -h127.0.0.1 -uroot ping >/dev/null 2>&1 || mariadb-admin -h127.0.0.1 -uhuabei_test -phuabei_test ping >/dev/null 2>&1; }
if ! mysql_up; then
  log "starting MariaDB"
  $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null 2>&1 || true
  fi
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 >/dev/null 2>&1 \
    || $SUDO service mariadb start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do mysql_up && break; sleep 0.5; done
  mysql_up || die "MariaDB did not start"
fi

SQL="CREATE USER IF NOT EXISTS 'huabei_test'@'localhost' IDENTIFIED BY 'huabei_test';
CREATE USER IF NOT EXISTS 'huabei_test'@'127.0.0.1' IDENTIFIED BY 'huabei_test';
GRANT ALL PRIVILEGES ON *.* TO 'huabei_test'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'huabei_test'@'127.0.0.1';
FLUSH PRIVILEGES;"
if ! mariadb -h127.0.0.1 -uhuabei_test -phuabei_test -e 'SELECT 1' >/dev/null 2>&1; then
  echo "$SQL" | $SUDO mariadb --protocol=socket -uroot >/dev/null 2>&1 \
    || echo "$SQL" | mariadb -h127.0.0.1 -uroot >/dev/null 2>&1 \
    || die "cannot create the test account huabei_test in MariaDB"
fi
mariadb -h127.0.0.1 -uhuabei_test -phuabei_test -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB test account huabei_test cannot log in over 127.0.0.1"
# Many short-lived test databases and the concurrency tests need headroom.
mariadb -h127.0.0.1 -uhuabei_test -phuabei_test -e 'SET GLOBAL max_connections = GREATEST(@@max_connections, 1000)' >/dev/null 2>&1 || true

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  log "starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do redis_up && break; sleep 0.25; done
  redis_up || die "Redis did not start"
fi
log "MariaDB and Redis are up"
