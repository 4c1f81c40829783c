"""Modbus RTU meters on a serial line (one end of a socat pty pair) that misbehave
on command: Python standard library only (os.open + termios raw), CRC-16/Modbus
and framing written from the spec, so it is independent of the code under test.

usage: modbus_rtu_faults.py CONFIG_JSON
  {"device": "/path/to/pty", "units": {"1": {"input": [{"addr": 0, "type": "float32", "value": 230.5}],
                                            "holding": [{"addr": 0, "regs": [1, 2]}]}}}
Unknown unit ids get no answer; unmapped addresses get exception 02.

Commands, one JSON object per line on stdin, each answered by one JSON line:
  {"unit": 2, "fault": "crc" | "wrong-unit" | "truncate" | "echo" | "garbage" | "silent" | "ok", "times": N}
      the next N requests to that unit (default: until changed) are answered so
  {"stats": true}   -> {"requests": {"1": n, ...}}   requests received per unit
"""
import json
import os
import select
import struct
import sys
import tty

FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I",
           "int64": ">q", "uint64": ">Q", "float32": ">f", "float64": ">d"}


def crc16(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body):
    c = crc16(body)
    return bytes(body) + bytes([c & 0xFF, c >> 8])


def encode(kind, order, value):
    if not kind.startswith("float"):
        value = int(round(value))
    raw = struct.pack(FORMATS[kind], value)
    words = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    if order in ("CDAB", "DCBA"):
        words.reverse()
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def table(entries, bits=False):
    out = {}
    for e in entries or []:
        if bits:
            words = [1 if b else 0 for b in e["bits"]]
        elif "regs" in e:
            words = e["regs"]
        else:
            words = encode(e["type"], e.get("order", "ABCD"), e["value"])
        for i, w in enumerate(words):
            out[e["addr"] + i] = w
    return out


cfg = json.loads(sys.argv[1])
units = {}
for uid, spec in cfg["units"].items():
    units[int(uid)] = {1: table(spec.get("coils"), True), 2: table(spec.get("discrete"), True),
                       3: table(spec.get("holding")), 4: table(spec.get("input"))}
faults = {}  # unit -> [fault, remaining or None]
received = {}


def answer(unit, fc, start, count):
    data = units[unit].get(fc)
    if data is None:
        return with_crc([unit, fc | 0x80, 1])
    limit = 2000 if fc <= 2 else 125
    if not 1 <= count <= limit:
        return with_crc([unit, fc | 0x80, 3])
    if any(a not in data for a in range(start, start + count)):
        return with_crc([unit, fc | 0x80, 2])
    if fc <= 2:
        payload = bytearray((count + 7) // 8)
        for i in range(count):
            if data[start + i]:
                payload[i // 8] |= 1 << (i % 8)
    else:
        payload = b"".join(struct.pack(">H", data[a]) for a in range(start, start + count))
    return with_crc(bytes([unit, fc, len(payload)]) + bytes(payload))


def handle(fd, request):
    unit, fc = request[0], request[1]
    start, count = struct.unpack(">HH", request[2:6])
    received[unit] = received.get(unit, 0) + 1
    if unit not in units:
        return
    fault = "ok"
    if unit in faults:
        fault, left = faults[unit]
        if left is not None:
            left -= 1
            if left <= 0:
                del faults[unit]
            else:
                faults[unit][1] = left
    reply = answer(unit, fc, start, count)
    if fault == "silent":
        return
    if fault == "crc":
        reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
    elif fault == "wrong-unit":
        reply = with_crc(bytes([unit + 100]) + reply[1:-2])
    elif fault == "truncate":
        reply = reply[:-3]
    elif fault == "echo":
        reply = bytes(request) + reply
    elif fault == "garbage":
        reply = b"\x00\xff\xfe" + reply
    os.write(fd, reply)


def main():
    fd = os.open(cfg["device"], os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    print(json.dumps({"ready": True}), flush=True)
    buf = b""
    stdin = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([fd, stdin], [], [])
        if stdin in readable:
            line = sys.stdin.readline()
            if not line:
                return
            cmd = json.loads(line)
            if cmd.get("stats"):
                print(json.dumps({"requests": {str(k): v for k, v in received.items()}}), flush=True)
                continue
            if cmd["fault"] == "ok":
                faults.pop(cmd["unit"], None)
            else:
                faults[cmd["unit"]] = [cmd["fault"], cmd.get("times")]
            print(json.dumps({"ok": True}), flush=True)
        if fd in readable:
            buf += os.read(fd, 512)
            # a read request is 8 bytes: unit, fc 1-4, start, count, CRC
            while len(buf) >= 8:
                if 1 <= buf[1] <= 4 and crc16(buf[:6]) == buf[6] | (buf[7] << 8):
                    handle(fd, buf[:8])
                    buf = buf[8:]
                else:
                    buf = buf[1:]


main()
