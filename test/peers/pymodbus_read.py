"""Reads input registers from a Modbus TCP server with pymodbus (Debian's
python3-pymodbus, an implementation independent of ours) and prints them as JSON.
usage: pymodbus_read.py HOST PORT UNIT START:COUNT [START:COUNT ...]"""
import json
import sys

from pymodbus.client import ModbusTcpClient

host, port, unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
client = ModbusTcpClient(host, port=port, timeout=1, retries=0)
if not client.connect():
    print(json.dumps({"error": "cannot connect"}))
    sys.exit(1)
out = {}
for spec in sys.argv[4:]:
    start, count = (int(x, 0) for x in spec.split(":"))
    r = client.read_input_registers(start, count, slave=unit)
    out[spec] = {"error": str(r)} if r.isError() else {"registers": r.registers}
client.close()
print(json.dumps(out))
