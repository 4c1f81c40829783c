"""A Modbus TCP server for the benchmarks, on Debian's python3-pymodbus (3.0):
unit 1 holds input registers 0..size-1 (all mapped, so any read of up to 125
registers from 0 succeeds) with the given float32 big-endian values written in.

usage: /usr/bin/python3 sdm630_server.py '{"size": 400, "floats": {"0": 230.1, ...}}'
Prints {"ready": true, "port": N} once serving on 127.0.0.1 (a free port)."""
import asyncio
import json
import struct
import sys
import types

try:
    import serial_asyncio  # noqa: F401  (pymodbus.server imports it; TCP never uses it)
except ImportError:
    serial_stub = types.ModuleType("serial")
    serial_stub.serialutil = types.SimpleNamespace(SerialException=Exception)
    sys.modules.setdefault("serial", serial_stub)
    sys.modules["serial_asyncio"] = types.SimpleNamespace(create_serial_connection=None)

import logging
logging.disable(logging.CRITICAL)

from pymodbus.datastore import ModbusServerContext, ModbusSequentialDataBlock, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer

cfg = json.loads(sys.argv[1])
regs = [0] * cfg["size"]
for addr, value in cfg["floats"].items():
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    regs[int(addr)], regs[int(addr) + 1] = hi, lo

# zero_mode: register 0 on the wire is index 0 of the block
store = ModbusSlaveContext(ir=ModbusSequentialDataBlock(0, regs), hr=ModbusSequentialDataBlock(0, regs), zero_mode=True)
ctx = ModbusServerContext(slaves={1: store}, single=False)


async def main():
    server = ModbusTcpServer(ctx, address=("127.0.0.1", 0), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print(json.dumps({"ready": True, "port": server.server.sockets[0].getsockname()[1]}), flush=True)
    await task


asyncio.run(main())
