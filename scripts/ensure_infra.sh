#!/usr/bin/env bash
# Start the machine's RabbitMQ (and PostgreSQL, with --postgres) when installed but not answering.
set -u
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "starting RabbitMQ…"
    ulimit -n 65536 2>/dev/null || true
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      rabbitmqctl -q await_startup >/dev/null 2>&1 && break
      sleep 2
    done
  else
    echo "RabbitMQ is not running and not installed: install rabbitmq-server or set AMQP_URI" >&2
  fi
fi
for _ in $(seq 1 30); do port_open 5672 && break; sleep 1; done

if [ "${1:-}" = "--postgres" ] && ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
  fi
fi
port_open 5672 || { echo "RabbitMQ does not answer on 5672" >&2; exit 1; }
