"""A METTLER TOLEDO balance speaking MT-SICS level 0/1 on a pty or TCP (see
scale_common.py for config and control). Commands end in CR LF; replies:

  SI   -> S S     0.345 kg  (S stable, D dynamic), S + overload, S - underload
  S    -> as SI when stable; S I while in motion (a real balance waits instead)
  Z    -> Z A; Z I in motion; Z + / Z - outside the zero range (+-2 % of Max)
  T    -> T S     0.123 kg (the tare); T I in motion; T - nothing to tare
  TA   -> TA A    0.123 kg;  TA 0.1 kg -> presets the tare (TA L when out of range)
  TAC  -> TAC A
  else -> ES
Extra config: {"unit": "kg" | "g"}.
"""
from scale_common import Peer, main


class MtSics(Peer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.unit = cfg.get("unit", "kg")
        self.buf = b""

    def value(self, grams):
        if self.unit == "g":
            return f"{grams:10.1f} g"
        return f"{grams / 1000:10.3f} kg"

    def on_bytes(self, data):
        self.buf += data
        while True:
            cut = min([i for i in (self.buf.find(b"\r"), self.buf.find(b"\n")) if i >= 0], default=-1)
            if cut < 0:
                if len(self.buf) > 200:
                    self.buf = b""
                return
            line = self.buf[:cut].decode("latin-1").strip()
            self.buf = self.buf[cut + 1:]
            if line:
                self.command(line)

    def command(self, line):
        s = self.scale
        words = line.split()
        name = words[0]
        self.count(name if len(words) == 1 else f"{name} {' '.join(words[1:])}")
        if name in ("SI", "S") and len(words) == 1:
            if s.overload:
                return self.write("S +\r\n")
            if s.underload:
                return self.write("S -\r\n")
            if name == "S" and s.motion:
                return self.write("S I\r\n")
            return self.write(f"S {'D' if s.motion else 'S'} {self.value(s.net)}\r\n")
        if name == "Z" and len(words) == 1:
            if s.motion:
                return self.write("Z I\r\n")
            if s.load > s.zero_range_g:
                return self.write("Z +\r\n")
            if s.load < -s.zero_range_g:
                return self.write("Z -\r\n")
            s.zero = s.load
            return self.write("Z A\r\n")
        if name == "T" and len(words) == 1:
            if s.motion:
                return self.write("T I\r\n")
            if s.gross <= 0:
                return self.write("T -\r\n")
            s.tare = s.gross
            return self.write(f"T S {self.value(s.tare)}\r\n")
        if name == "TA":
            if len(words) == 1:
                return self.write(f"TA A {self.value(s.tare)}\r\n")
            if len(words) == 3 and words[2] in ("kg", "g"):
                try:
                    grams = float(words[1]) * (1000 if words[2] == "kg" else 1)
                except ValueError:
                    return self.write("ES\r\n")
                if grams < 0 or grams > s.capacity_g:
                    return self.write("TA L\r\n")
                s.tare = grams
                return self.write(f"TA A {self.value(s.tare)}\r\n")
            return self.write("ES\r\n")
        if name == "TAC" and len(words) == 1:
            s.tare = 0
            return self.write("TAC A\r\n")
        self.write("ES\r\n")


main(MtSics)
