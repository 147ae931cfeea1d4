"""A network of test hosts on this machine: network namespaces on one bridge.

`TestNetwork` makes a driver host, a head host and worker hosts, each a network
namespace with one interface, `eth0`, on a private subnet. Every `eth0` is one end of a
veth pair whose other end is a port of a bridge living in a namespace of its own, so the
machine's own namespace gets no interface, address or route, and nothing sent inside
can reach any other address. Each link is limited to a rate with `tc ... tbf` in both
directions (the host's `eth0` and its bridge port), which is what a network of finite
bandwidth means here (`netem` delay is not in this kernel). Processes start inside a
host with `ip netns exec`.

Teardown ends every process inside the hosts (the kernel's own list, `ip netns pids`),
SIGTERM first, then deletes the namespaces, which deletes their links. Namespace names
carry the creating process id, so `cleanup_stale()` removes what a killed run left.
`available()` says why the network cannot be made (not root, no iproute2).

As a command, for a look by hand: `python tests/netns.py up` (prints the hosts, waits
for Ctrl-C, then tears down) and `python tests/netns.py cleanup`.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PREFIX = "cmpnet"
SUBNET = "10.213.0"
DEFAULT_RATE = "1gbit"
HOSTS = ("driver", "head", "w1", "w2")
STOP_GRACE_S = 3.0
# Several networks may exist at once in one process (a test's own beside a module's).
_NUMBERS = itertools.count(1)


class NetworkError(RuntimeError):
    """An `ip` or `tc` command failed; the message has its stderr."""


def _run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise NetworkError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def available() -> str | None:
    """Why test hosts cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    missing = [tool for tool in ("ip", "tc") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found (Debian's iproute2)"
    return None


def rate_bytes_per_s(rate: str) -> float:
    """`1gbit`, `100mbit`, `500kbit` as bytes per second."""
    units = {"gbit": 1e9, "mbit": 1e6, "kbit": 1e3, "bit": 1.0}
    for unit, scale in units.items():
        if rate.endswith(unit):
            return float(rate[: -len(unit)]) * scale / 8
    raise ValueError(f"rate {rate!r} is not <number>gbit|mbit|kbit")


def _limit(namespace: str, device: str, rate: str, verb: str = "add") -> None:
    # tbf's bucket must hold at least one timer tick of traffic at the rate.
    burst = max(int(rate_bytes_per_s(rate) / 100), 64 * 1024)
    _run(
        "ip", "netns", "exec", namespace, "tc", "qdisc", verb, "dev", device, "root",
        "tbf", "rate", rate, "burst", str(burst), "latency", "100ms",
    )  # fmt: skip


def _end_processes_in(namespace: str) -> None:
    try:
        pids = [int(p) for p in _run("ip", "netns", "pids", namespace).split()]
    except NetworkError:
        return
    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGTERM)
            procs.append(proc)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(procs, timeout=STOP_GRACE_S)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=STOP_GRACE_S)


def _our_namespaces(owner: int | None = None) -> list[str]:
    names = [line.split()[0] for line in _run("ip", "netns", "list").splitlines() if line]
    mine = [n for n in names if n.startswith(PREFIX + "-")]
    return [n for n in mine if owner is None or n.split("-")[1] == str(owner)]


def _delete(namespaces: Sequence[str]) -> None:
    for name in namespaces:
        _end_processes_in(name)
    for name in namespaces:
        try:
            _run("ip", "netns", "del", name)
        except NetworkError:
            continue


def cleanup_stale() -> list[str]:
    """Remove the namespaces of earlier runs whose process is gone; return their names."""
    stale = [n for n in _our_namespaces() if not psutil.pid_exists(int(n.split("-")[1]))]
    _delete(stale)
    return stale


@dataclass
class TestNetwork:
    """Hosts on one bridge, `rate` per link; `addresses[host]` is each host's IPv4."""

    hosts: Sequence[str] = HOSTS
    rate: str = DEFAULT_RATE
    addresses: dict[str, str] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)

    __test__ = False  # not a pytest test class

    number: int = field(default_factory=lambda: next(_NUMBERS))

    def namespace(self, host: str) -> str:
        return f"{PREFIX}-{os.getpid()}-{self.number}-{host}"

    @property
    def switch(self) -> str:
        return self.namespace("switch")

    def start(self) -> TestNetwork:
        reason = available()
        if reason:
            raise NetworkError(reason)
        cleanup_stale()
        try:
            self._make()
        except BaseException:
            self.stop()
            raise
        return self

    def _make(self) -> None:
        _run("ip", "netns", "add", self.switch)
        self.namespaces.append(self.switch)
        _run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", self.switch, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts, start=1):
            namespace = self.namespace(host)
            _run("ip", "netns", "add", namespace)
            self.namespaces.append(namespace)
            port = f"port{index}"
            _run(
                "ip", "link", "add", "eth0", "netns", namespace, "type", "veth",
                "peer", "name", port, "netns", self.switch,
            )  # fmt: skip
            address = f"{SUBNET}.{index}"
            _run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            _run("ip", "-n", namespace, "link", "set", "lo", "up")
            _run("ip", "-n", namespace, "link", "set", "eth0", "up")
            # Software that finds its own address by asking for a route to a public one
            # (Ray: a UDP connect, which sends nothing) gets eth0's; anything sent that
            # way stays on the bridge, which has no uplink.
            _run("ip", "-n", namespace, "route", "add", "default", "dev", "eth0")
            _run("ip", "-n", self.switch, "link", "set", port, "master", "br0")
            _run("ip", "-n", self.switch, "link", "set", port, "up")
            _limit(namespace, "eth0", self.rate)
            _limit(self.switch, port, self.rate)
            self.addresses[host] = address

    def stop(self) -> None:
        """End every process in the hosts, then delete every namespace and link."""
        _delete(list(reversed(self.namespaces)))
        self.namespaces.clear()

    def command(self, host: str, argv: Sequence[str]) -> list[str]:
        """`argv` run inside `host`."""
        return ["ip", "netns", "exec", self.namespace(host), *argv]

    def popen(self, host: str, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(host, argv), **kwargs)

    def run(self, host: str, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(host, argv), **kwargs)

    def set_rate(self, rate: str) -> None:
        """Change every link's rate (both directions)."""
        for index, host in enumerate(self.hosts, start=1):
            _limit(self.namespace(host), "eth0", rate, "change")
            _limit(self.switch, f"port{index}", rate, "change")
        self.rate = rate

    def set_link(self, host: str, up: bool) -> None:
        """Take a host's link down (it drops off the network, its processes live on)."""
        index = list(self.hosts).index(host) + 1
        _run("ip", "-n", self.switch, "link", "set", f"port{index}", "up" if up else "down")

    def pids(self, host: str) -> list[int]:
        return [int(p) for p in _run("ip", "netns", "pids", self.namespace(host)).split()]


@contextmanager
def test_network(hosts: Sequence[str] = HOSTS, rate: str = DEFAULT_RATE) -> Iterator[TestNetwork]:
    """A started `TestNetwork`, torn down on the way out, whatever happened inside."""
    network = TestNetwork(hosts=hosts, rate=rate)
    network.start()
    try:
        yield network
    finally:
        network.stop()


test_network.__test__ = False  # type: ignore[attr-defined]


def leftovers() -> list[str]:
    """Namespaces of this project that exist now (empty after every teardown)."""
    return _our_namespaces()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    if command == "cleanup":
        print("removed:", " ".join(cleanup_stale() + _delete_all()) or "nothing")
        return 0
    reason = available()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    with test_network() as network:
        for host, address in network.addresses.items():
            print(f"{host:8} {address:12} ip netns exec {network.namespace(host)} ...")
        print(f"links at {network.rate}; Ctrl-C tears down")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def _delete_all() -> list[str]:
    names = _our_namespaces()
    _delete(names)
    return names


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
