#!/usr/bin/python3
"""A simulated DL/T 645-2007 energy meter, written from the standard's description
(shared/DOMAIN.md), not from the gateway's TypeScript. Standard library only.

It sits on one end of a serial line (a pty, opened raw with termios) or listens on
TCP like a transparent RS-485-to-Ethernet converter, and answers:
  0x11 read        known DIs with fixed values (negative phase B current and power),
                   the block DI 0001FF00 in two frames (0xB1, then 0x92 on follow-up),
                   anything else with an abnormal reply 0xD1, ERR 0x02 (no such data)
  0x12 follow-up   the next frame of a split block, carrying DI, data and SEQ
  0x13 read addr   (to AAAAAAAAAAAA) its address
  0x08 broadcast   time (to 999999999999): no reply, logged
Replies start with FE FE FE FE and go out in two writes to exercise reassembly.

Faults (each counts replies or requests from the start):
  --bad-checksum N      the first N replies carry a wrong CS (and nothing else follows)
  --garbage N           the first N replies are preceded by line noise (with a stray 68)
  --echo N              the first N requests are echoed back before the reply
  --silent-after K --silent N   after answering K requests, ignore the next N

Prints one JSON line per event on stdout: {"event": "ready", ...} first, then
"request", "reply", "fault", "ignored", "broadcast-time".

usage: dlt645_meter.py (--pty PATH | --tcp-port N) [--address 12DIGITS] [faults]
"""
import argparse
import json
import os
import select
import socket
import sys
import termios
import time
import tty

# DI (as written, DI3 first) -> (value(s), bytes per value, decimals, signed)
TABLE = {
    "00000000": (317.76, 4, 2, True),
    "00010000": (300.00, 4, 2, False),
    "00020000": (17.76, 4, 2, False),
    "02010100": (220.1, 2, 1, False),
    "02010200": (219.8, 2, 1, False),
    "02010300": (221.0, 2, 1, False),
    "02020100": (5.123, 3, 3, True),
    "02020200": (-1.25, 3, 3, True),
    "02020300": (0.8, 3, 3, True),
    "02030000": (-0.2345, 3, 4, True),
    "02030100": (0.5, 3, 4, True),
    "02030200": (-0.275, 3, 4, True),
    "02030300": (-0.4595, 3, 4, True),
    "02060000": (0.982, 2, 3, True),
    "02800002": (50.01, 2, 2, False),
    # meter number (NNNNNNNNNNNN): a DI the gateway has no format for
    "04000402": (123456, 6, 0, False),
}
# block DI split over two frames: (values, bytes, decimals, values in the first frame)
BLOCKS = {
    "0001FF00": ([300.00, 100.00, 120.00, 50.00, 30.00], 4, 2, 3),
}
GARBAGE = bytes([0x00, 0x55, 0xFF, 0x68, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x68, 0x11, 0x40, 0x99])


def log(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def bcd(value, nbytes, decimals, signed):
    """value -> packed BCD, least significant byte first; sign in bit 7 of the top byte."""
    digits = "%0*d" % (nbytes * 2, round(abs(value) * 10 ** decimals))
    if len(digits) > nbytes * 2:
        raise ValueError("%r does not fit" % value)
    out = bytearray.fromhex(digits)
    out.reverse()
    if signed and value < 0:
        out[-1] |= 0x80
    return bytes(out)


def addr_bytes(addr):
    b = bytearray.fromhex(addr)
    b.reverse()
    return bytes(b)


def addr_text(b):
    return bytes(reversed(b)).hex().upper()


def di_bytes(di):
    return bytes(reversed(bytes.fromhex(di)))


def build(addr, control, payload, preamble=True):
    body = bytearray([0x68]) + addr_bytes(addr) + bytearray([0x68, control, len(payload)])
    body += bytes((x + 0x33) % 256 for x in payload)
    body.append(sum(body) % 256)
    body.append(0x16)
    return (b"\xfe\xfe\xfe\xfe" if preamble else b"") + bytes(body)


class Meter:
    def __init__(self, opts, write):
        self.opts = opts
        self.write = write
        self.buf = b""
        self.requests = 0
        self.replies = 0
        self.silenced = 0
        self.pending = {}  # DI -> list of remaining payload chunks for follow-ups

    def feed(self, data):
        self.buf += data
        while True:
            start = self.buf.find(b"\x68")
            if start < 0:
                self.buf = b""
                return
            raw_from = start
            while raw_from > 0 and self.buf[raw_from - 1] == 0xFE:
                raw_from -= 1
            b = self.buf[start:]
            if len(b) < 10:
                return
            if b[7] != 0x68:
                self.buf = self.buf[start + 1:]
                continue
            n = b[9]
            if len(b) < 12 + n:
                return
            frame = b[:12 + n]
            raw = self.buf[raw_from:start + 12 + n]
            self.buf = self.buf[start + 12 + n:]
            if frame[-1] != 0x16 or sum(frame[:-2]) % 256 != frame[-2]:
                log(event="ignored", why="bad frame", hex=frame.hex())
                continue
            self.handle(frame, raw)

    def handle(self, frame, raw):
        addr = addr_text(frame[1:7])
        control = frame[8]
        payload = bytes((x - 0x33) % 256 for x in frame[10:-2])
        if control & 0x80:
            log(event="ignored", why="a reply, not a request", hex=frame.hex())
            return
        mine = self.opts.address
        if control == 0x08:
            if addr == "999999999999" and len(payload) == 6:
                ss, mm, hh, dd, mo, yy = (int("%02x" % x) for x in payload)
                log(event="broadcast-time", time="20%02d-%02d-%02dT%02d:%02d:%02d" % (yy, mo, dd, hh, mm, ss))
            return
        wildcard_ok = all(a == "A" or a == m for a, m in zip(addr, mine))
        if addr != mine and not (wildcard_ok and "A" in addr):
            log(event="ignored", why="not my address", address=addr)
            return
        self.requests += 1
        log(event="request", n=self.requests, control="%02X" % control, address=addr,
            data=payload.hex(), preamble=raw.startswith(b"\xfe"), raw=raw.hex())
        if self.opts.silent and self.requests > self.opts.silent_after and self.silenced < self.opts.silent:
            self.silenced += 1
            log(event="fault", kind="silent", n=self.requests)
            return
        reply = self.answer(control, payload)
        if reply is None:
            return
        time.sleep(self.opts.turnaround_ms / 1000)
        if self.requests <= self.opts.echo:
            log(event="fault", kind="echo")
            self.write(raw)
        self.replies += 1
        if self.replies <= self.opts.garbage:
            log(event="fault", kind="garbage")
            self.write(GARBAGE)
        if self.replies <= self.opts.bad_checksum:
            log(event="fault", kind="bad-checksum")
            reply = bytearray(reply)
            reply[-2] = (reply[-2] + 0x5A) % 256
            reply = bytes(reply)
        log(event="reply", control="%02X" % reply[reply.index(0x68) + 8], hex=reply.hex())
        half = len(reply) // 2
        self.write(reply[:half])
        time.sleep(0.005)
        self.write(reply[half:])

    def answer(self, control, payload):
        me = self.opts.address
        if control == 0x13:
            return build(me, 0x93, addr_bytes(me))
        if control == 0x11 and len(payload) >= 4:
            di = bytes(reversed(payload[:4])).hex().upper()
            if di in TABLE:
                value, nbytes, decimals, signed = TABLE[di]
                return build(me, 0x91, payload[:4] + bcd(value, nbytes, decimals, signed))
            if di in BLOCKS:
                values, nbytes, decimals, first = BLOCKS[di]
                chunks = [bcd(v, nbytes, decimals, False) for v in values]
                self.pending[di] = [b"".join(chunks[first:])]
                return build(me, 0xB1, payload[:4] + b"".join(chunks[:first]))
            return build(me, 0xD1, bytes([0x02]))
        if control == 0x12 and len(payload) >= 5:
            di = bytes(reversed(payload[:4])).hex().upper()
            seq = payload[4]
            rest = self.pending.get(di)
            if not rest:
                return build(me, 0xD2, bytes([0x01]))
            chunk = rest.pop(0)
            more = bool(rest)
            if not more:
                del self.pending[di]
            return build(me, 0xB2 if more else 0x92, payload[:4] + chunk + bytes([seq]))
        return build(me, 0xC0 | (control & 0x1F), bytes([0x01]))


def serve_pty(opts):
    fd = os.open(opts.pty, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)

    def write(b):
        os.write(fd, b)
        termios.tcdrain(fd)

    meter = Meter(opts, write)
    log(event="ready", pty=opts.pty, address=opts.address)
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            meter.feed(os.read(fd, 4096))


def serve_tcp(opts):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", opts.tcp_port))
    srv.listen(4)
    log(event="ready", port=srv.getsockname()[1], address=opts.address)
    meter = None
    while True:
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if meter is None:
            meter = Meter(opts, conn.sendall)
        else:  # one meter behind the converter: its fault budget carries over connections
            meter.write = conn.sendall
            meter.buf = b""
        log(event="connected")
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                meter.feed(data)
        except OSError:
            pass
        finally:
            conn.close()
            log(event="disconnected")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty")
    where.add_argument("--tcp-port", type=int)
    p.add_argument("--address", default="202107072529")
    p.add_argument("--turnaround-ms", type=float, default=10)
    p.add_argument("--bad-checksum", type=int, default=0)
    p.add_argument("--garbage", type=int, default=0)
    p.add_argument("--echo", type=int, default=0)
    p.add_argument("--silent-after", type=int, default=0)
    p.add_argument("--silent", type=int, default=0)
    opts = p.parse_args()
    if len(opts.address) != 12 or not opts.address.isdigit():
        p.error("--address: 12 digits")
    try:
        serve_pty(opts) if opts.pty else serve_tcp(opts)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
