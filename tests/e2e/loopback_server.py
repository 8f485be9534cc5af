"""The HTTP plumbing the destination test peers share (opensearch_receiver.py, splunk_receiver.py).

A threaded keep-alive HTTP/1.1 server on a free loopback port (https with `tls`), handing every
request to `receiver._handle(handler)`; stop() stops listening and cuts open connections, so a
sender sees the peer go down as it would see a real server die.
"""
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real clients use it

    def setup(self):
        super().setup()
        self.server.loopback.track(self.connection, add=True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.loopback.track(self.connection, add=False)

    def do_POST(self):
        self.server.receiver._handle(self)

    do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

    def log_message(self, *args):  # quiet: tests read the receiver's records instead
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's default 5 resets bursts of parallel deliveries

    def handle_error(self, request, client_address):  # clients that time out or vanish are normal
        pass


class LoopbackServer:
    def __init__(self, receiver, port=0, tls=None, name="receiver"):
        """port: 0 for a free one, or an old server's port to restart on it. tls: (certificate
        PEM, key PEM) to serve https."""
        self.stopping = threading.Event()  # set by stop(): handlers sleeping in a delay never answer
        self._conns, self._lock = set(), threading.Lock()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.receiver, self._server.loopback = receiver, self
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name=f"{name}-{self.port}")
        self._thread.start()

    def track(self, conn, add):
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def stop(self):
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)
