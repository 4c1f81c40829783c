"""A Modbus server built on Debian's python3-pymodbus (3.0), an implementation
independent of ours, for the tests. One JSON argument describes it:

  {"transport": "tcp" | "rtu-over-tcp" | "serial",
   "device": "/path/to/pty",            # serial only
   "units": {"1": {"input":    [{"addr": 0, "type": "float32", "order": "ABCD", "value": 230.5},
                                {"addr": 16, "regs": [1, 2, 3]}],
                   "holding":  [...],
                   "coils":    [{"addr": 0, "bits": [1, 0, 1]}],
                   "discrete": [...],
                   "max_read": 10}}}      # exception 02 for any read of more than 10

Values are encoded here with struct (not with the code under test). Unmapped
addresses answer exception 02; unit ids not listed get no answer at all, as on
a real bus. Prints one JSON line {"ready": true, "port": N} once serving.
"""
import asyncio
import json
import struct
import sys
import types

try:
    import serial_asyncio  # noqa: F401  (pymodbus.server imports it at the top)
except ImportError:
    # python3-serial-asyncio is only a Recommends of python3-pymodbus. The TCP
    # servers never touch it, so stand-ins let them run without it.
    if json.loads(sys.argv[1]).get("transport") == "serial":
        print(json.dumps({"error": "python3-serial-asyncio is not installed"}), flush=True)
        sys.exit(3)
    try:
        import serial  # noqa: F401
    except ImportError:
        serial_stub = types.ModuleType("serial")
        serial_stub.serialutil = types.SimpleNamespace(SerialException=Exception)
        sys.modules["serial"] = serial_stub
    sys.modules["serial_asyncio"] = types.SimpleNamespace(create_serial_connection=None)

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I",
           "int64": ">q", "uint64": ">Q", "float32": ">f", "float64": ">d"}


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


class Block(ModbusSparseDataBlock):
    """A sparse block that refuses reads longer than max_read (exception 02)."""

    def __init__(self, values, max_read):
        super().__init__(values)
        self.max_read = max_read

    def validate(self, address, count=1):
        if self.max_read and count > self.max_read:
            return False
        return super().validate(address, count)


def block(entries, max_read, bits=False):
    values = {}
    for e in entries or []:
        if bits:
            words = [1 if b else 0 for b in e["bits"]]
        elif "regs" in e:
            words = e["regs"]
        else:
            words = encode(e["type"], e.get("order", "ABCD"), e["value"])
        for i, w in enumerate(words):
            values[e["addr"] + i] = w
    return Block(values, max_read)


def context(units):
    slaves = {}
    for uid, spec in units.items():
        cap = spec.get("max_read")
        slaves[int(uid)] = ModbusSlaveContext(
            hr=block(spec.get("holding"), cap),
            ir=block(spec.get("input"), cap),
            co=block(spec.get("coils"), None, bits=True),
            di=block(spec.get("discrete"), None, bits=True),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


async def main():
    cfg = json.loads(sys.argv[1])
    ctx = context(cfg["units"])
    if cfg["transport"] == "serial":
        server = ModbusSerialServer(ctx, framer=ModbusRtuFramer, port=cfg["device"],
                                    baudrate=cfg.get("baud", 9600), ignore_missing_slaves=True)
        await server.start()
        print(json.dumps({"ready": True}), flush=True)
        await server.serve_forever()
        return
    framer = ModbusRtuFramer if cfg["transport"] == "rtu-over-tcp" else ModbusSocketFramer
    server = ModbusTcpServer(ctx, framer=framer, address=("127.0.0.1", cfg.get("port", 0)),
                             ignore_missing_slaves=True, allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(json.dumps({"ready": True, "port": port}), flush=True)
    await task


asyncio.run(main())
