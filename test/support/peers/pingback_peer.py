"""An independent Pingback / weblogUpdates peer built only on Python's standard xmlrpc.server.

Prints {"port": N} once listening, then one JSON line per call received (method, params, headers).
Behaviour is chosen by the test through the arguments it sends:
  pingback.ping: a target containing /fault-N answers fault N; /slow sleeps 3 s; /nonstring answers an int.
  weblogUpdates.*: a name containing "fault" faults extendedPing; "flerror" answers flerror: true.
"""
import json
import re
import sys
import threading
import time
from socketserver import ThreadingMixIn
from xmlrpc.client import Fault
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

local = threading.local()
lock = threading.Lock()


def emit(record):
    with lock:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc", "/RPC2", "/")

    def do_POST(self):
        local.headers = {k.lower(): v for k, v in self.headers.items()}
        super().do_POST()

    def log_message(self, *args):
        pass


class Server(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


def record(method, params):
    emit({"method": method, "params": list(params), "headers": getattr(local, "headers", {})})


def ping(source, target):
    record("pingback.ping", [source, target])
    m = re.search(r"/fault-(-?\d+)", target)
    if m:
        raise Fault(int(m.group(1)), "fault %s requested by the test" % m.group(1))
    if "/slow" in target:
        time.sleep(3)
    if "/nonstring" in target:
        return 42
    return "Pingback from %s to %s registered. Keep the web talking!" % (source, target)


def extended_ping(name, url, changes, feed):
    record("weblogUpdates.extendedPing", [name, url, changes, feed])
    if "fault" in name:
        raise Fault(-32601, "extendedPing is not supported here")
    if "flerror" in name:
        return {"flerror": True, "message": "Sorry, that weblog is not listed."}
    return {"flerror": False, "message": "Thanks for the ping."}


def simple_ping(name, url):
    record("weblogUpdates.ping", [name, url])
    if "flerror" in name:
        return {"flerror": True, "message": "Sorry."}
    return {"flerror": False, "message": "Thanks for the ping."}


server = Server(("127.0.0.1", 0), requestHandler=Handler, logRequests=False)
server.register_function(ping, "pingback.ping")
server.register_function(extended_ping, "weblogUpdates.extendedPing")
server.register_function(simple_ping, "weblogUpdates.ping")
server.register_introspection_functions()
emit({"port": server.server_address[1]})
server.serve_forever()
