"""A real PostgreSQL (Debian's postgresql package) for the Redshift destination's tests.

Started with initdb and pg_ctl in a temporary directory, listening on a free loopback port with
password (SCRAM) authentication, the way a Redshift cluster asks Firehose for a user and password.
PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user the
package creates. Queries go through `psql` over TCP.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile

SUPERUSER_PASSWORD = "hydrant-superuser"
LOADER_USER = "loader"
LOADER_PASSWORD = "loader-secret"
DATABASE = "analytics"


def _bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install the postgresql package (make deps)")
    return candidates[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="hydrant-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write(SUPERUSER_PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, user="postgres", group="postgres")
        self._run([_bin("initdb"), "-D", self.data, "-U", "postgres", "--pwfile", pwfile, "-A", "scram-sha-256",
                   "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                    "fsync = on\nmax_connections = 50\n")
        self.start()
        self.sql(f"CREATE ROLE {LOADER_USER} LOGIN PASSWORD '{LOADER_PASSWORD}'", database="postgres")
        self.sql(f"CREATE DATABASE {DATABASE} OWNER {LOADER_USER}", database="postgres")

    def _run(self, command, **kwargs):
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--"] + command
        return subprocess.run(command, check=True, capture_output=True, text=True, cwd=self.root, **kwargs)

    def start(self):
        self._run([_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.root, "log"), "-w", "-t", "60", "start"])

    def stop(self, mode="fast"):
        self._run([_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])

    @property
    def jdbc_url(self):
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{DATABASE}"

    def sql(self, statement, database=DATABASE, user="postgres", password=SUPERUSER_PASSWORD):
        """Runs one statement; returns the rows as lists of strings (NULL as None)."""
        env = dict(os.environ, PGPASSWORD=password)
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database, "-X", "-q", "-A", "-t",
             "-F", "\t", "-P", "null=\\N", "-v", "ON_ERROR_STOP=1", "-c", statement],
            check=True, capture_output=True, text=True, env=env)
        return [[None if v == "\\N" else v for v in line.split("\t")] for line in result.stdout.splitlines()]

    def log(self):
        try:
            with open(os.path.join(self.root, "log")) as f:
                return f.read()[-20000:]
        except OSError:
            return ""

    def close(self):
        try:
            self.stop(mode="immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
