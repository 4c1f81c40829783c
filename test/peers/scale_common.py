"""Shared by the scale peers (scale_mtsics.py, scale_toledo.py, scale_continuous.py,
scale_modbus.py): a weighing model, the line (one end of a socat pty pair, opened
raw with os.open + termios, or a TCP listener) and control from stdin.
Python standard library only, written from the protocol documents, so the peers
are independent of the code under test.

Config (argv[1], JSON): {"device": "/path/to/pty"} or {"tcp": 0} (0: any free
port), plus the peer's own keys. The first stdout line is {"ready": true, "port": n}.

Control, one JSON object per line on stdin, each answered by one JSON line:
  {"set": {"load": 345, "motion": false, ...}}   change the weighing model
  {"set": {...}, "after": MS} change it MS from now (while a test waits on a blocking CLI run)
  {"write": "text"}           write these characters (latin-1) to the line now
  {"corrupt": "truncate" | "garbage", "times": 1}   spoil the next replies/lines
  {"mute": true | false}      stop / resume answering (or streaming)
  {"unplug": MS}              TCP: close the connection and the listener, listen again after MS
  {"stats": true}             -> {"received": {"SI": 3, ...}, "state": {...}}
stdin closing ends the peer; so does the pty going away (socat ended).
"""
import json
import os
import select
import socket
import sys
import time
import tty


class Weighing:
    """What is on the platter and what the indicator makes of it."""

    def __init__(self, capacity_g=15000, division_g=1):
        self.capacity_g = capacity_g
        self.division_g = division_g
        self.load = 0.0  # grams on the platter
        self.zero = 0.0  # load at the last zero
        self.tare = 0.0  # grams
        self.motion = False
        self.zero_range_g = capacity_g * 0.02  # +-2 % of Max, as for semi-automatic zero

    @property
    def gross(self):
        return self.load - self.zero

    @property
    def net(self):
        return self.gross - self.tare

    @property
    def overload(self):
        return self.gross > self.capacity_g + 9 * self.division_g

    @property
    def underload(self):
        return self.gross < -20 * self.division_g

    def set(self, values):
        for k, v in values.items():
            if not hasattr(self, k) or k.startswith("_"):
                raise KeyError(k)
            setattr(self, k, v)

    def state(self):
        return {"load": self.load, "zero": self.zero, "tare": self.tare, "gross": self.gross,
                "net": self.net, "motion": self.motion, "overload": self.overload, "underload": self.underload}


class Peer:
    """Runs the select loop; a protocol overrides on_bytes(data) and maybe tick()."""

    tick_s = None  # streaming peers: seconds between ticks

    def __init__(self, cfg):
        self.cfg = cfg
        self.scale = Weighing(cfg.get("capacity_g", 15000), cfg.get("division_g", 1))
        self.received = {}
        self.corrupt = None
        self.corrupt_left = 0
        self.muted = False
        self.fd = None
        self.conn = None
        self.listener = None
        self.port = None
        self.relisten_at = None
        self.later = []  # [(monotonic time, values)]
        if "device" in cfg:
            self.fd = os.open(cfg["device"], os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self.fd)
        else:
            self.port = cfg.get("tcp") or 0
            self.listen()

    def listen(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]

    def count(self, command):
        self.received[command] = self.received.get(command, 0) + 1

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        if self.corrupt_left > 0 and data:
            self.corrupt_left -= 1
            if self.corrupt == "truncate":
                data = data[: max(1, len(data) // 2)] + b"\r\n"
            elif self.corrupt == "garbage":
                data = b"\x00\xff#?garbage\r\n" + data
        self.write_raw(data)

    def write_raw(self, data):
        try:
            if self.fd is not None:
                os.write(self.fd, data)
            elif self.conn is not None:
                self.conn.sendall(data)
        except OSError:
            self.drop()

    def drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def on_bytes(self, data):
        raise NotImplementedError

    def tick(self):
        pass

    def control(self, cmd):
        if "set" in cmd and "after" in cmd:
            self.later.append((time.monotonic() + cmd["after"] / 1000, cmd["set"]))
            self.later.sort(key=lambda x: x[0])
        elif "set" in cmd:
            self.scale.set(cmd["set"])
        elif "write" in cmd:
            self.write_raw(cmd["write"].encode("latin-1"))
        elif "corrupt" in cmd:
            self.corrupt = cmd["corrupt"]
            self.corrupt_left = cmd.get("times", 1)
        elif "mute" in cmd:
            self.muted = bool(cmd["mute"])
        elif "unplug" in cmd:
            self.drop()
            if self.listener is not None:
                self.listener.close()
                self.listener = None
                self.relisten_at = time.monotonic() + cmd["unplug"] / 1000
        elif "stats" in cmd:
            return {"received": self.received, "state": self.scale.state()}
        else:
            return {"error": "unknown command"}
        return {"ok": True}

    def run(self):
        print(json.dumps({"ready": True, "port": self.port}), flush=True)
        stdin = sys.stdin.fileno()
        next_tick = time.monotonic()
        while True:
            fds = [stdin]
            if self.fd is not None:
                fds.append(self.fd)
            if self.listener is not None:
                fds.append(self.listener)
            if self.conn is not None:
                fds.append(self.conn)
            now = time.monotonic()
            waits = [1.0]
            if self.tick_s is not None:
                waits.append(max(0.0, next_tick - now))
            if self.relisten_at is not None:
                waits.append(max(0.0, self.relisten_at - now))
            if self.later:
                waits.append(max(0.0, self.later[0][0] - now))
            readable, _, _ = select.select(fds, [], [], min(waits))
            if stdin in readable:
                line = sys.stdin.readline()
                if not line:
                    return
                try:
                    answer = self.control(json.loads(line))
                except Exception as err:  # a test's mistake: say so, keep running
                    answer = {"error": str(err)}
                print(json.dumps(answer), flush=True)
            if self.listener is not None and self.listener in readable:
                conn, _ = self.listener.accept()
                self.drop()
                self.conn = conn
            if self.fd is not None and self.fd in readable:
                try:
                    data = os.read(self.fd, 512)
                except OSError:
                    return  # the pty went away (socat ended): unplugged
                if not data:
                    return
                if not self.muted:
                    self.on_bytes(data)
            if self.conn is not None and self.conn in readable:
                try:
                    data = self.conn.recv(512)
                except OSError:
                    data = b""
                if not data:
                    self.drop()
                elif not self.muted:
                    self.on_bytes(data)
            now = time.monotonic()
            while self.later and now >= self.later[0][0]:
                self.scale.set(self.later.pop(0)[1])
            if self.relisten_at is not None and now >= self.relisten_at:
                self.relisten_at = None
                self.listen()
            if self.tick_s is not None and now >= next_tick:
                next_tick = now + self.tick_s
                if not self.muted:
                    self.tick()


def main(peer_class):
    cfg = json.loads(sys.argv[1])
    peer_class(cfg).run()
