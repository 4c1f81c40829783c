"""A Modbus weight transmitter on a pty (Modbus RTU) or TCP (Modbus TCP, MBAP),
standard library only, CRC-16/Modbus and framing from the spec (see
scale_common.py for config and control). Answers FC03 and FC04 from the same map,
for unit id cfg["unit"] (default 1); other units get no answer, unmapped
addresses exception 02.

  0-1   net weight,   int32 ABCD, 0.1 g per count
  2-3   gross weight, int32 ABCD, 0.1 g per count
  4     status uint16: bit0 stable, bit1 overload, bit2 underload, bit3 net
  10-11 gross weight, float32 CDAB, kg
"""
import struct

from scale_common import Peer, main


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


class Transmitter(Peer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.unit = cfg.get("unit", 1)
        self.rtu = self.fd is not None
        self.buf = b""

    def registers(self):
        s = self.scale
        regs = {}
        net = struct.pack(">i", int(round(s.net * 10)))
        gross = struct.pack(">i", int(round(s.gross * 10)))
        for i in range(2):
            regs[i] = int.from_bytes(net[2 * i:2 * i + 2], "big")
            regs[2 + i] = int.from_bytes(gross[2 * i:2 * i + 2], "big")
        regs[4] = (0 if s.motion or s.overload or s.underload else 1) | (2 if s.overload else 0) | (4 if s.underload else 0) | (8 if s.tare else 0)
        f = struct.pack(">f", s.gross / 1000)
        regs[10] = int.from_bytes(f[2:4], "big")  # CDAB: low word first
        regs[11] = int.from_bytes(f[0:2], "big")
        return regs

    def pdu_reply(self, fc, start, count):
        if fc not in (3, 4):
            return bytes([fc | 0x80, 1])
        if not 1 <= count <= 125:
            return bytes([fc | 0x80, 3])
        regs = self.registers()
        if any(a not in regs for a in range(start, start + count)):
            return bytes([fc | 0x80, 2])
        payload = b"".join(struct.pack(">H", regs[a]) for a in range(start, start + count))
        return bytes([fc, len(payload)]) + payload

    def on_bytes(self, data):
        self.buf += data
        if self.rtu:
            while len(self.buf) >= 8:
                if 1 <= self.buf[1] <= 6 and crc16(self.buf[:6]) == self.buf[6] | (self.buf[7] << 8):
                    unit, fc = self.buf[0], self.buf[1]
                    start, count = struct.unpack(">HH", self.buf[2:6])
                    self.buf = self.buf[8:]
                    self.count(f"fc{fc}")
                    if unit == self.unit:
                        self.write_frame(with_crc(bytes([unit]) + self.pdu_reply(fc, start, count)))
                else:
                    self.buf = self.buf[1:]
        else:
            while len(self.buf) >= 12:
                tid, proto, length, unit = struct.unpack(">HHHB", self.buf[:7])
                if len(self.buf) < 6 + length:
                    return
                pdu = self.buf[7:6 + length]
                self.buf = self.buf[6 + length:]
                fc = pdu[0]
                start, count = struct.unpack(">HH", pdu[1:5])
                self.count(f"fc{fc}")
                if unit != self.unit:
                    continue
                reply = self.pdu_reply(fc, start, count)
                self.write_frame(struct.pack(">HHHB", tid, 0, len(reply) + 1, unit) + reply)

    def write_frame(self, frame):
        if self.corrupt_left > 0:
            self.corrupt_left -= 1
            if self.corrupt == "truncate":
                frame = frame[:-3]
            elif self.corrupt == "garbage":
                frame = b"\x00\xff\xfe" + frame
        self.write_raw(frame)


main(Transmitter)
