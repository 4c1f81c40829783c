#!/usr/bin/python3
"""A CJ/T 188-2004 water meter on a serial line (a pty), written from the standard
(not from canteen-edge's code) for the tests.

Frame: [FE ...] 68 T A0..A6 C L DATA CS 16; no +33H on DATA; CS = byte sum mod 256
from 68 to the byte before CS. Answers:
  read data    C=01H, DI 901FH (sent 1F 90), SER  -> C=81H, L=16H:
               DI SER, current flow 4B BCD XXXXXX.XX + unit, settlement flow + unit,
               real time 7B BCD (ss mm hh DD MM YY YY, lowest first), ST 2B
  read address C=03H, DI 810AH to AAAAAAAAAAAAAA (type AAH or ours) -> C=83H, DI SER
  anything else for us -> C=C1H abnormal reply: SER ST
Prints one JSON line per event on stdout ({"event": "ready"|"request"|"reply"|"ignored", ...}).
"""
import argparse
import json
import os
import select
import sys
import termios
import time
import tty


def log(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def bcd(n, nbytes):
    digits = "%0*d" % (nbytes * 2, n)
    if len(digits) > nbytes * 2:
        raise ValueError("%r does not fit" % n)
    out = bytearray.fromhex(digits)
    out.reverse()
    return bytes(out)


def addr_bytes(addr):
    return bytes(reversed(bytes.fromhex(addr)))


def build(mtype, addr, control, data):
    body = bytearray([0x68, mtype]) + addr_bytes(addr) + bytearray([control, len(data)]) + data
    body.append(sum(body) % 256)
    body.append(0x16)
    return b"\xfe\xfe" + bytes(body)


class Meter:
    def __init__(self, opts, write):
        self.opts = opts
        self.write = write
        self.buf = b""
        self.requests = 0

    def feed(self, data):
        self.buf += data
        while True:
            start = self.buf.find(b"\x68")
            if start < 0:
                self.buf = b""
                return
            b = self.buf[start:]
            if len(b) < 11:
                return
            n = b[10]
            if len(b) < 13 + n:
                # maybe a frame of another protocol on the shared line: wait a little for more
                return self._maybe_drop(start)
            frame = b[:13 + n]
            if frame[-1] != 0x16 or sum(frame[:-2]) % 256 != frame[-2]:
                # not ours (another protocol's bytes, or noise): resync one byte on
                self.buf = self.buf[start + 1:]
                continue
            self.buf = self.buf[start + 13 + n:]
            self.handle(frame)

    def _maybe_drop(self, start):
        # an incomplete "frame" followed by a complete valid one was another protocol's
        # bytes or noise (a DL/T 645 frame on the shared line): go on from the valid one
        i = self.buf.find(b"\x68", start + 1)
        while i >= 0:
            b = self.buf[i:]
            if len(b) >= 11 and len(b) >= 13 + b[10] and b[12 + b[10]] == 0x16 and sum(b[:11 + b[10]]) % 256 == b[11 + b[10]]:
                self.buf = self.buf[i:]
                return self.feed(b"")
            i = self.buf.find(b"\x68", i + 1)

    def handle(self, frame):
        mtype = frame[1]
        addr = bytes(reversed(frame[2:9])).hex().upper()
        control = frame[9]
        data = frame[11:-2]
        if control & 0x80:
            return  # a reply (another meter's), not a request
        me = self.opts.address
        broadcast = addr == "AAAAAAAAAAAAAA" and mtype in (0xAA, self.opts.type)
        if not broadcast and (addr != me or mtype != self.opts.type):
            log(event="ignored", why="not for me", address=addr, type="%02X" % mtype)
            return
        self.requests += 1
        log(event="request", n=self.requests, control="%02X" % control, address=addr, type="%02X" % mtype, hex=frame.hex())
        if self.opts.silent:
            return
        time.sleep(self.opts.turnaround_ms / 1000)
        di = data[:2]
        ser = data[2:3] if len(data) >= 3 else b"\x00"
        if control == 0x01 and di == b"\x1f\x90":
            t = time.localtime()
            clock = bcd(t.tm_sec, 1) + bcd(t.tm_min, 1) + bcd(t.tm_hour, 1) + bcd(t.tm_mday, 1) + bcd(t.tm_mon, 1) + bcd(t.tm_year, 2)
            st = bytes([self.opts.status, 0x00])
            cents = round(self.opts.volume * 100)
            self.opts.volume += self.opts.step  # a meter with flow: the next read shows more
            payload = di + ser + bcd(cents, 4) + bytes([self.opts.unit]) + bcd(round(self.opts.settlement * 100), 4) + bytes([self.opts.unit]) + clock + st
            reply = build(self.opts.type, me, 0x81, payload)
        elif control == 0x03 and di == b"\x0a\x81":
            reply = build(self.opts.type, me, 0x83, di + ser)
        else:
            reply = build(self.opts.type, me, 0xC0 | (control & 0x3F), ser + b"\x00\x00")
        self.write(reply)
        log(event="reply", hex=reply.hex())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pty", required=True)
    p.add_argument("--address", default="78330011223344")
    p.add_argument("--type", type=lambda s: int(s, 16), default=0x10)
    p.add_argument("--volume", type=float, default=1234.56, help="current cumulative flow, in the unit")
    p.add_argument("--settlement", type=float, default=1200.00)
    p.add_argument("--step", type=float, default=0.0, help="the volume grows this much after each read")
    p.add_argument("--unit", type=lambda s: int(s, 16), default=0x2C, help="unit code: 2C m3, 29 L")
    p.add_argument("--status", type=lambda s: int(s, 16), default=0x00, help="ST byte 1: D0-D1 valve, D2 battery")
    p.add_argument("--turnaround-ms", type=float, default=10)
    p.add_argument("--silent", action="store_true")
    opts = p.parse_args()
    if len(opts.address) != 14 or not opts.address.isdigit():
        p.error("--address: 14 digits")
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
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                meter.feed(os.read(fd, 4096))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
