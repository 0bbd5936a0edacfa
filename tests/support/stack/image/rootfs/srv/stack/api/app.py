#!/usr/bin/env python3
"""The medic test stack's API: a small http.server app on 127.0.0.1:$API_PORT.

GET /health      200 {"status": "ok", ...} when PostgreSQL (SELECT 1) and Redis (PING) both answer,
                 else 503 naming what failed.
GET /api/items   200 with row 1 of table items from PostgreSQL, PostgreSQL's version, and the Redis
                 counter medic:hits after INCR (so every call proves both servers); 503 when either
                 is down.

Every connection goes to 127.0.0.1 and is opened per request, so the API follows its dependencies
going away and coming back without a restart.

API_MODE picks the variant a deploy test rolls out:
  ok       serve at once (the default)
  broken   exit with status 3 at start
  slow     serve nothing for API_SLOW_SECONDS (default 30) seconds, then serve as ok
"""

import json
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import redis

TIMEOUT_SECONDS = 2


def port_from_env(name, default):
    value = os.environ.get(name, default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"api: {name} must be a port number, got {value!r}")
    return int(value)


API_PORT = port_from_env("API_PORT", "18081")
PG_PORT = port_from_env("PG_PORT", "15432")
REDIS_PORT = port_from_env("REDIS_PORT", "16379")


def postgres():
    return psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="postgres", dbname="postgres",
                            connect_timeout=TIMEOUT_SECONDS, application_name="medic-stack-api")


def redis_client():
    return redis.Redis(host="127.0.0.1", port=REDIS_PORT, socket_timeout=TIMEOUT_SECONDS,
                       socket_connect_timeout=TIMEOUT_SECONDS)


def error_text(error):
    return f"{type(error).__name__}: {str(error).strip()}"


def check_postgres():
    connection = postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_redis():
    client = redis_client()
    try:
        client.ping()
    finally:
        client.close()


def health():
    report = {}
    for name, check in (("db", check_postgres), ("redis", check_redis)):
        try:
            check()
            report[name] = "ok"
        except Exception as error:  # any failure of a dependency makes the API unhealthy
            report[name] = error_text(error)
    healthy = all(value == "ok" for value in report.values())
    report["status"] = "ok" if healthy else "unavailable"
    return (200 if healthy else 503), report


def items():
    try:
        connection = postgres()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id, name FROM items WHERE id = 1")
                row = cursor.fetchone()
                cursor.execute("SELECT version()")
                version = cursor.fetchone()[0]
        finally:
            connection.close()
    except Exception as error:
        return 503, {"error": "db: " + error_text(error)}
    try:
        client = redis_client()
        try:
            hits = client.incr("medic:hits")
            redis_version = client.info("server")["redis_version"]
        finally:
            client.close()
    except Exception as error:
        return 503, {"error": "redis: " + error_text(error)}
    item = {"id": row[0], "name": row[1]} if row else None
    return 200, {"item": item, "hits": hits, "postgres": version, "redis": redis_version}


class Handler(BaseHTTPRequestHandler):
    server_version = "medic-stack-api"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        # /api/health is the same check reached through nginx (the web UI's own health check):
        # the whole chain, without moving the hit counter /api/items keeps.
        if path in ("/health", "/api/health"):
            status, body = health()
        elif path == "/api/items":
            status, body = items()
        else:
            status, body = 404, {"error": f"no route for {path}"}
        payload = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # quiet: health checks poll every second
        pass


class ReusePortServer(ThreadingHTTPServer):
    """Replicas (`docker compose up --scale api=2`) share the host's API_PORT, as gunicorn's
    reuse_port does: the kernel spreads connections over every replica that listens."""

    def server_bind(self):
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def main():
    # PID 1 ignores SIGTERM unless it handles it: exit at once on `docker stop`.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    mode = os.environ.get("API_MODE", "ok")
    if mode == "broken":
        print("api: API_MODE=broken: exiting with status 3", file=sys.stderr)
        sys.exit(3)
    if mode == "slow":
        seconds = float(os.environ.get("API_SLOW_SECONDS", "30"))
        print(f"api: API_MODE=slow: serving after {seconds:g} s", file=sys.stderr)
        time.sleep(seconds)
    elif mode != "ok":
        sys.exit(f"api: API_MODE must be ok, broken or slow, got {mode!r}")
    server = ReusePortServer(("127.0.0.1", API_PORT), Handler)
    server.daemon_threads = True
    print(f"api: serving on 127.0.0.1:{API_PORT} (mode {mode})", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
