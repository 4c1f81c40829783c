"""A weighing indicator in continuous output mode on a pty or TCP (see
scale_common.py for config and control): one line every interval_ms.

Formats (config "format"):
  "std":  ST,GS,+0000.345kg   (ST/US stable/unstable, OL/UL over/under as dashes, GS/NT)
  "alt":  WT:S:N:-000345.0g   (S stable / M motion / O overload; G/N gross/net)
  "bare": +0.345              (no status at all: the gateway's filter decides)
Commands taken on the same line (CR LF): Z (zero), T (tare), C (clear tare).
Extra config: {"format": "std", "interval_ms": 50}.
"""
from scale_common import Peer, main


class Continuous(Peer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.format = cfg.get("format", "std")
        self.tick_s = cfg.get("interval_ms", 50) / 1000
        self.buf = b""

    def line(self):
        s = self.scale
        value = s.net
        if self.format == "alt":
            st = "O" if s.overload else ("M" if s.motion else "S")
            return f"WT:{st}:{'N' if s.tare else 'G'}:{'-' if value < 0 else '+'}{abs(value):08.1f}g"
        if self.format == "bare":
            return f"{'-' if value < 0 else '+'}{abs(value) / 1000:.3f}"
        mode = "NT" if s.tare else "GS"
        if s.overload:
            return f"OL,{mode},  ------kg"
        if s.underload:
            return f"UL,{mode},  ------kg"
        return f"{'US' if s.motion else 'ST'},{mode},{'-' if value < 0 else '+'}{abs(value) / 1000:08.3f}kg"

    def tick(self):
        self.write(self.line() + "\r\n")

    def on_bytes(self, data):
        self.buf += data
        while b"\n" in self.buf or b"\r" in self.buf:
            cut = min(i for i in (self.buf.find(b"\r"), self.buf.find(b"\n")) if i >= 0)
            cmd = self.buf[:cut].decode("latin-1").strip()
            self.buf = self.buf[cut + 1:]
            if not cmd:
                continue
            self.count(cmd)
            s = self.scale
            if cmd == "Z" and not s.motion and abs(s.load) <= s.zero_range_g:
                s.zero = s.load
            elif cmd == "T" and not s.motion and s.gross > 0:
                s.tare = s.gross
            elif cmd == "C":
                s.tare = 0


main(Continuous)
