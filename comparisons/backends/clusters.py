"""External Dask and Ray clusters: their addresses, a reachability check, the code to ship.

`make compare DASK_ADDRESS=... RAY_ADDRESS=...` (or `--dask-address`/`--ray-address`)
sends the Dask and Ray cells to an existing cluster instead of starting one per cell.
This module is the small amount of cluster knowledge the rest shares: which backends take
an address (`Backend.cluster_engine`), what a valid address looks like, a TCP check the
harness runs before it starts a cell (so an unreachable address fails that cell in
seconds, with one line, and the suite goes on), and the archive of the `workloads`
package that the backends ship to the workers (Dask: a worker plugin; Ray: runtime_env).
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import os
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from comparisons.errors import UserError

# A TCP connect that takes longer than this counts as unreachable.
PROBE_TIMEOUT_S = 5.0
# Connecting a client and shipping the code: past this, the cell gives up with one line.
# A slow or far cluster may need longer: COMPARISONS_CONNECT_TIMEOUT_S overrides it.
CONNECT_TIMEOUT_S = float(os.environ.get("COMPARISONS_CONNECT_TIMEOUT_S") or 30.0)
DASK_SCHEMES = ("tcp", "tls", "ws", "wss")
WORKLOADS_DIR = Path(__file__).resolve().parents[2] / "workloads"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _endpoint(host: str | None, port: int | None, given: str, engine: str, form: str) -> Endpoint:
    if not host or port is None or not 0 < port < 65536:
        raise UserError(f"{engine} address {given!r} is not {form}")
    return Endpoint(host, port)


def dask_endpoint(address: str) -> Endpoint:
    """Parse a Dask scheduler address: `tcp://host:port` (or tls://, ws://, wss://)."""
    form = "scheme://host:port with scheme " + ", ".join(DASK_SCHEMES)
    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UserError(f"dask address {address!r} is not {form}") from None
    if parts.scheme not in DASK_SCHEMES or parts.path not in ("", "/"):
        raise UserError(f"dask address {address!r} is not {form}")
    return _endpoint(parts.hostname, port, address, "dask", form)


def ray_endpoint(address: str) -> Endpoint:
    """Parse a Ray address: the GCS `host:port`, or a Ray Client `ray://host:port`."""
    form = "host:port (the head node's GCS port) or ray://host:port (Ray Client)"
    text = address if address.startswith("ray://") else f"ray://{address}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UserError(f"ray address {address!r} is not {form}") from None
    if parts.path not in ("", "/"):
        raise UserError(f"ray address {address!r} is not {form}")
    return _endpoint(parts.hostname, port, address, "ray", form)


PARSERS = {"dask": dask_endpoint, "ray": ray_endpoint}


def check_addresses(addresses: dict[str, str | None]) -> dict[str, str]:
    """Validate the form of each given address (a user error if malformed); drop empties."""
    checked = {}
    for engine, address in addresses.items():
        if address:
            address = address.strip()
            PARSERS[engine](address)
            checked[engine] = address
    return checked


def unreachable(engine: str, address: str) -> str | None:
    """Why nothing answers at `address` (one line), or None when a TCP connect succeeds."""
    endpoint = PARSERS[engine](address)
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=PROBE_TIMEOUT_S):
            return None
    except TimeoutError:
        why = f"no answer within {PROBE_TIMEOUT_S:g} s"
    except OSError as exc:
        why = exc.strerror or str(exc)
    return f"cannot reach the {engine} cluster at {address}: {why}"


def shipped_paths() -> list[Path]:
    """What cluster workers need beside their installed packages: the `workloads`
    package and the code of any user's function this process loaded."""
    from workloads.target import shipped_code

    return [WORKLOADS_DIR, *shipped_code()]


def workloads_archive(directory: Path) -> Path:
    """Zip the `workloads` package, and a user's target code, into `directory`, named
    by its content hash; each at the zip's root, as it is imported.

    Same code, same name and bytes: a worker that already imported from an earlier
    upload never sees its zip rewritten with different contents underneath it.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in shipped_paths():
            files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
            for path in files:
                info = zipfile.ZipInfo(str(path.relative_to(root.parent)), (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    target = directory / f"comparisons-workloads-{hashlib.sha256(data).hexdigest()[:12]}.zip"
    if not target.exists():
        target.write_bytes(data)
    return target


def version_mismatches(
    local: dict[str, str | None], remote: dict[str, dict[str, str | None]]
) -> list[str]:
    """One line per package whose version on a worker differs from this process's."""
    lines = []
    for package, mine in local.items():
        theirs = {where: versions.get(package) for where, versions in remote.items()}
        different = sorted({v for v in theirs.values() if v != mine}, key=str)
        if different:
            lines.append(
                f"{package} {mine} here, {', '.join(map(str, different))} on "
                f"{sum(v != mine for v in theirs.values())} of {len(theirs)} workers"
            )
    return lines
