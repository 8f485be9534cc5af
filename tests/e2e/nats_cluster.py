"""A real 3-server NATS JetStream cluster for the cluster-mode tests (Debian's nats-server).

Each server listens on a free loopback port, keeps its JetStream store in a temporary folder
(file storage) and routes to the other two. Servers can be killed (SIGKILL), stopped and
started again on the same ports and stores.
"""
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from harness import stop_process, wait_for

NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsServer:
    def __init__(self, root, name, client_port, route_port, peers):
        self.root = Path(root)
        self.name = name
        self.client_port = client_port
        self.route_port = route_port
        self.store = self.root / "store"
        self.store.mkdir(parents=True, exist_ok=True)
        self.config = self.root / "nats.conf"
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in peers)
        # max_payload: a PutRecordBatch of 4 MiB is one message. JetStream 2.9 has no
        # sync_interval setting: a put is acknowledged once a quorum of replicas wrote it
        # (docs/cluster.md explains what that promises).
        self.config.write_text(f"""
server_name: {name}
listen: 127.0.0.1:{client_port}
max_payload: 8MB
jetstream {{
  store_dir: "{self.store}"
  max_memory_store: 256MB
  max_file_store: 8GB
}}
cluster {{
  name: hydrant-test
  listen: 127.0.0.1:{route_port}
  routes: [{routes}]
}}
""")
        self.log_path = self.root / "nats.log"
        self.process = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.client_port}"

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([NATS_SERVER, "-c", str(self.config)], stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log)
        return self

    def wait_listening(self, timeout=15):
        def listening():
            if self.process.poll() is not None:
                raise AssertionError(f"nats-server {self.name} exited:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.client_port), timeout=0.5):
                    return True
            except OSError:
                return False
        wait_for(listening, timeout=timeout, interval=0.05, message=f"nats-server {self.name} listening")

    def stop(self, sig=signal.SIGTERM):
        stop_process(self.process, sig)

    def kill(self):
        self.stop(signal.SIGKILL)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class NatsCluster:
    """Three routed JetStream servers; `urls` is what `hydrant serve --cluster` takes."""

    def __init__(self, root, size=3):
        client_ports = [free_port() for _ in range(size)]
        route_ports = [free_port() for _ in range(size)]
        self.servers = [
            NatsServer(Path(root) / f"n{i + 1}", f"n{i + 1}", client_ports[i], route_ports[i],
                       [p for j, p in enumerate(route_ports) if j != i])
            for i in range(size)]

    @property
    def urls(self):
        return ",".join(s.url for s in self.servers)

    def start(self):
        for s in self.servers:
            s.start()
        for s in self.servers:
            s.wait_listening()
        time.sleep(0.5)  # the routes connect; Hydrant waits for JetStream's leaders itself
        return self

    def stop(self):
        for s in self.servers:
            s.stop()

    def logs(self):
        return "\n".join(f"--- {s.name}\n{s.log()[-4000:]}" for s in self.servers)
