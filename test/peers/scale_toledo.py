"""A checkout scale in Toledo 8217 mode on a pty or TCP (see scale_common.py for
config and control); the line is 9600 7E1 on real hardware (a pty ignores it).

  W        -> STX  0.345 CR (kg; 0.345N when a tare is active), or STX ? s CR with the
              status byte when in motion, over capacity or under zero
  S        -> STX ? s CR
  Z        -> zero when stable, within +-2 % of Max and no tare; STX ? s CR
  T CR     -> tare the platter when stable and > 0; STX ? s CR
  Twwwww CR-> preset tare, five digits WW.WWW kg (grams); STX ? s CR
  C        -> clear tare when stable; STX ? s CR
Status byte: 0x40 | bit0 motion | bit1 over capacity | bit2 under zero |
bit3 outside zero range | bit4 centre of zero | bit5 net.
Other bytes are ignored (counted as "?").
"""
from scale_common import Peer, main


class Toledo(Peer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.buf = b""
        self.zero_error = False

    def status(self):
        s = self.scale
        b = 0x40
        b |= 0x01 if s.motion else 0
        b |= 0x02 if s.overload else 0
        b |= 0x04 if s.gross < 0 or s.net < 0 else 0
        b |= 0x08 if self.zero_error else 0
        b |= 0x10 if abs(s.gross) < s.division_g / 4 and s.tare == 0 else 0
        b |= 0x20 if s.tare else 0
        return b

    def reply_status(self):
        self.write(b"\x02?" + bytes([self.status()]) + b"\r")

    def on_bytes(self, data):
        self.buf += data
        while self.buf:
            c = self.buf[:1]
            if c == b"T":
                cut = self.buf.find(b"\r")
                if cut < 0:
                    if len(self.buf) > 7:
                        self.buf = self.buf[1:]
                        self.count("?")
                        continue
                    return
                arg = self.buf[1:cut].decode("latin-1")
                self.buf = self.buf[cut + 1:]
                self.tare(arg)
                continue
            self.buf = self.buf[1:]
            if c == b"W":
                self.count("W")
                self.weight()
            elif c == b"S":
                self.count("S")
                self.reply_status()
            elif c == b"Z":
                self.count("Z")
                self.zero()
            elif c == b"C":
                self.count("C")
                if not self.scale.motion:
                    self.scale.tare = 0
                self.reply_status()
            elif c not in (b"\r", b"\n"):
                self.count("?")

    def weight(self):
        s = self.scale
        if s.motion or s.overload or s.gross < 0 or s.net < 0:
            return self.reply_status()
        self.write(f"\x02{s.net / 1000:6.3f}{'N' if s.tare else ''}\r")

    def zero(self):
        s = self.scale
        self.zero_error = False
        if not s.motion and s.tare == 0:
            if abs(s.load) <= s.zero_range_g:
                s.zero = s.load
            else:
                self.zero_error = True
        self.reply_status()

    def tare(self, arg):
        s = self.scale
        if arg == "":
            self.count("T")
            if not s.motion and s.gross > 0:
                s.tare = s.gross
        elif len(arg) == 5 and arg.isdigit():
            self.count(f"T{arg}")
            s.tare = int(arg)
        else:
            self.count("?")
        self.reply_status()


main(Toledo)
