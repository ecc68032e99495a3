"""A stand-in for NetworkManager's nmcli, run as a real program from PATH (tests/system/nmcli_stub.py puts it
there): a test machine has no NetworkManager and must never change its own network.

It keeps the car's network in state.json beside it, appends each call (argv) to calls.jsonl, and answers in nmcli's
terse output formats (nmcli(1): -t separates fields with ':' and escapes ':' and '\\' inside values), with the
exit codes and messages NetworkManager 1.x gives: 10 "No network with SSID ... found", 4 "Connection activation
failed: (7) Secrets were required, but not provided" for a wrong password (the device is left disconnected).
"""

import json
import sys
from pathlib import Path


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def main(folder: Path, args: list[str]) -> int:
    state_path = folder / "state.json"
    state = json.loads(state_path.read_text())
    with (folder / "calls.jsonl").open("a") as calls:
        calls.write(json.dumps(args) + "\n")
    wifi = state["wifi_interface"]

    def save() -> None:
        state_path.write_text(json.dumps(state))

    def device_rows() -> list[str]:
        active = state["active"]
        rows = [f"{wifi}:wifi:{'connected' if active else 'disconnected'}:{escape(active) if active else ''}"]
        if state.get("usb_connected"):
            rows.append("usb0:ethernet:connected:Wired connection 1")
        rows.append("lo:loopback:connected (externally):lo")
        return rows

    if args[:1] == ["-w"]:
        args = args[2:]
    if args[:3] == ["-t", "-f", "DEVICE,TYPE,STATE,CONNECTION"] and args[3:5] == ["device", "status"]:
        print("\n".join(device_rows()))
        return 0
    if args[:2] == ["-t", "-f"] and args[3:6] == ["device", "wifi", "list"]:
        fields = args[2].split(",")
        for ap in state["access_points"]:
            values = {"ACTIVE": "yes" if ap["ssid"] == state["active"] else "no", "SSID": ap["ssid"],
                      "SIGNAL": str(ap["signal"]), "SECURITY": ap["security"]}
            print(":".join(escape(values[f]) for f in fields))
        return 0
    if args[:3] == ["-t", "-f", "IP4.ADDRESS"] and args[3:5] == ["device", "show"]:
        if state["active"]:
            print(f"IP4.ADDRESS[1]:{state['ip']}/24")
        return 0
    if args[:3] == ["device", "wifi", "connect"]:
        ssid = args[3]
        password = args[args.index("password") + 1] if "password" in args else ""
        ap = next((a for a in state["access_points"] if a["ssid"] == ssid), None)
        if ap is None:
            print(f"Error: No network with SSID '{ssid}' found.", file=sys.stderr)
            return 10
        state["active"] = ""  # NetworkManager drops the current connection to try the new one
        state["profiles"] = sorted(set(state["profiles"]) | {ssid})  # the profile is made before activation
        if ap["password"] != password:
            save()
            print("Error: Connection activation failed: (7) Secrets were required, but not provided.",
                  file=sys.stderr)
            return 4
        state["active"] = ssid
        save()
        print(f"Device '{wifi}' successfully activated with '0b3a7c2e-2f57-4c53-9a3c-6f2b8f9e{len(ssid):04d}'.")
        return 0
    if args[:5] == ["-t", "-f", "NAME", "connection", "show"]:
        print("\n".join(escape(name) for name in state["profiles"]))
        return 0
    if args[:3] == ["connection", "delete", "id"]:
        state["profiles"] = [name for name in state["profiles"] if name != args[3]]
        save()
        print(f"Connection '{args[3]}' (0b3a7c2e-2f57-4c53-9a3c-6f2b8f9e0000) successfully deleted.")
        return 0
    if args[:3] == ["connection", "up", "id"]:
        if args[3] not in state["profiles"]:
            print(f"Error: unknown connection '{args[3]}'.", file=sys.stderr)
            return 10
        state["active"] = args[3]
        save()
        print("Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/"
              "ActiveConnection/7)")
        return 0
    if args[:4] == ["-t", "-g", "802-11-wireless.powersave", "connection"] and args[4] == "show":
        print(state["powersave"].get(args[5], "0 (default)"))
        return 0
    if args[:2] == ["connection", "modify"] and args[3] == "802-11-wireless.powersave":
        names = {"0": "0 (default)", "1": "1 (ignore)", "2": "2 (disable)", "3": "3 (enable)"}
        state["powersave"][args[2]] = names[args[4]]
        save()
        return 0
    if args[:2] == ["device", "reapply"]:
        print(f"Connection successfully reapplied to device '{args[2]}'.")
        return 0
    print(f"Error: fake nmcli does not know: {' '.join(args)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
