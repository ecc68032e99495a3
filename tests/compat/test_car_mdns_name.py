"""The car answers `<hostname>.local` (issue 24, item 4): DeepRacer Event Manager's printed car labels link
`https://<hostname>.local?epwd=...`. tools/install-car.sh leaves that to avahi-daemon (installed if missing, enabled
and started): the original car and Raspberry Pi OS run it, and a second mDNS responder in the stack would fight it
for the name. What is tested: the real avahi-daemon with the settings it ships, on a DeepRacer-style hostname,
answers an mDNS query for that name with the car's address, and the console's certificate names it.

Run where no traffic can reach another host: avahi runs in network, UTS and mount namespaces of its own
(`unshare`, as root), whose only network is loopback (so its announcements go nowhere), under the car's hostname
(the UTS namespace's, not this machine's), with its pid folder on a private tmpfs. The query is a legacy unicast mDNS
query (RFC 6762, section 6.7) to 127.0.0.1:5353, answered to the sender's port, as `getent hosts` through
nss-mdns would ask.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from webserver_pkg.services.tls import ensure_certificate

CAR = "amss-1a2b"  # how the original car names itself (amss-<four hex digits>)
STOCK_CONFIG = Path("/etc/avahi/avahi-daemon.conf")

# The query side, run inside the namespace: an A query for argv[1], sent until answered (avahi needs a moment to
# claim its name); prints the address of the first A record of the answer.
QUERY = r"""
import socket, struct, sys, time
name = sys.argv[1]
question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
query = struct.pack(">6H", 0x2024, 0, 1, 0, 0, 0) + question + struct.pack(">2H", 1, 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.settimeout(0.25)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    sock.sendto(query, ("127.0.0.1", 5353))
    try:
        answer, _ = sock.recvfrom(4096)
    except socket.timeout:
        continue
    ident, flags, questions, answers = struct.unpack(">4H", answer[:8])
    at = 12 + len(question) + 4
    if ident != 0x2024 or answers == 0 or answer[12:12 + len(question)].lower() != question.lower():
        continue
    # The answer's name is a pointer to the question (2 bytes), then type, class, ttl, length, data.
    kind, _, _, length = struct.unpack(">HHIH", answer[at + 2:at + 12])
    if kind == 1 and length == 4:
        print(socket.inet_ntoa(answer[at + 12:at + 16]))
        sys.exit(0)
sys.exit("no answer")
"""


def _config(folder: Path) -> Path:
    """avahi's shipped settings (Debian's file where there is one), without the D-Bus API: no bus runs in the
    namespace, and answering mDNS does not need it."""
    stock = STOCK_CONFIG.read_text() if STOCK_CONFIG.is_file() else "[server]\n"
    config = folder / "avahi-daemon.conf"
    config.write_text(stock.replace("[server]", "[server]\nenable-dbus=no", 1))
    return config


def _namespaces_allowed() -> bool:
    """Root, and a container that lets it make namespaces."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--net", "--uts", "--mount", "true"], capture_output=True,
                          timeout=30).returncode == 0


@pytest.mark.skipif(shutil.which("avahi-daemon") is None or shutil.which("ip") is None,
                    reason="needs avahi-daemon and ip")
@pytest.mark.skipif(not _namespaces_allowed(), reason="namespaces of its own need root (and a container allowing them)")
def test_avahi_answers_the_cars_hostname_dot_local_with_its_address(tmp_path):
    (tmp_path / "query.py").write_text(QUERY)
    script = f"""
set -e
ip link set lo up
hostname {CAR}
mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon
avahi-daemon -f {_config(tmp_path)} --no-drop-root --no-chroot --no-rlimits > {tmp_path}/avahi.log 2>&1 &
daemon=$!
trap 'kill $daemon; wait $daemon || true' EXIT
{sys.executable} {tmp_path}/query.py {CAR}.local
"""
    done = subprocess.run(["unshare", "--net", "--uts", "--mount", "bash", "-c", script], capture_output=True,
                          text=True, timeout=60)
    log = (tmp_path / "avahi.log").read_text() if (tmp_path / "avahi.log").exists() else ""
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\navahi-daemon:\n{log}"
    assert done.stdout.split() == ["127.0.0.1"]  # the car's only address in its namespace
    assert f"Host name is {CAR}.local" in log


def test_the_consoles_certificate_names_hostname_dot_local(tmp_path):
    """A browser following the label checks the name against the certificate (self-signed, warned about once)."""
    cert_path, _ = ensure_certificate(tmp_path, hostname=CAR)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert f"{CAR}.local" in names
