"""A Raspberry Pi 4, as near as this machine gets: the arm64 install, demo and tests under
emulation (qemu-user in an arm64 Debian 12 root), and the listening chain's latency on a share of
one core as fast as a Pi 4's.

    scripts/pi-check                          all of it, as root (about 45 minutes)
    python -m bench.pi --skip-emulation       the Pi-class timing alone (root: it makes a cgroup)

Writes docs/benchmarks/pi.md; the emulation's results are kept in bench/.cache/pi.json so that
--skip-emulation reports them again. Emulation is not a timing model: its times say only how long
the check takes. The timing comes from the same Listener as live, run on this machine's CPU held
to 1/R of one core (cgroup v1 `cpu.cfs_quota_us`), R being how much faster this core is (below).
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "pi.md"
KEPT = ROOT / "bench" / ".cache" / "pi.json"
ARM_ROOT = Path("/var/tmp/voicecoach-pi/root")
HOME = "/home/pi/voicecoach"  # the checkout inside the arm64 root
SUITE = "bookworm"  # Debian 12, the base of Raspberry Pi OS bookworm
# A chosen subset of the non-audio tests: the engine, settings, routines and history, and the
# native code that differs on ARM (PocketSphinx through the Listener, Moonshine on onnxruntime).
# About 47 s here, 15-20 min emulated; the whole suite would take hours.
TESTS = (
    "tests/test_session.py",
    "tests/test_second_opinion.py",
    "tests/test_listener.py",
    "tests/test_settings.py",
    "tests/test_routine_library.py",
    "tests/test_history_store.py",
)
# sysbench 1.0.20 `cpu --threads=1` (primes to 10,000), events per second on a Raspberry Pi 4
# (Cortex-A72, 1.5 GHz), from https://leoncode.co.uk/articles/raspberry-pi-benchmarks.
PI4_SYSBENCH = 1477.83
# The float kernels (onnxruntime's, numpy's) use 256-bit AVX2 here and 128-bit NEON on the A72:
# up to twice the integer gap. The Pi 4 is judged at the worse of the two ratios.
SIMD_FACTOR = 2.0
PERIOD_US = 10_000  # a short cgroup period, so throttling is spread like a slower CPU's
CONDITIONS = ("clean", "music 10 dB")
BUDGET = {"p95_ms": 400, "cpu_share": 0.25, "rss_mb": 300}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pi", description=__doc__)
    parser.add_argument("--root", type=Path, default=ARM_ROOT, help="the arm64 root (kept)")
    parser.add_argument("--skip-emulation", action="store_true", help="report the kept results")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--worker", type=float, help=argparse.SUPPRESS)  # the timed process
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(timing_worker(args.worker)))
        return 0
    if os.geteuid() != 0:
        parser.error("run as root: it mounts, chroots and makes a cgroup")
    new = {}
    if not args.skip_emulation:
        new["emulation"] = emulate(args.root)
    if not args.skip_timing:
        new["timing"] = pi_timing()
    kept = json.loads(KEPT.read_text()) if KEPT.exists() else {}  # read late: runs may overlap
    kept |= new
    KEPT.parent.mkdir(parents=True, exist_ok=True)
    KEPT.write_text(json.dumps(kept, indent=1))
    args.out.write_text(report(kept))
    print(f"report in {args.out}")
    failed = [step for step in kept.get("emulation", {}).get("steps", []) if not step["ok"]]
    return 1 if failed else 0


# --- emulation ---------------------------------------------------------------------------------


def emulate(root: Path) -> dict:
    started = time.time()
    commit = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    prepare_host()
    steps = [step("arm64 root", lambda: make_root(root))]
    copy_checkout(root)
    with mounted(root):
        steps.append(step("scripts/install", lambda: chrooted(root, "scripts/install")))
        demo = step(
            "voicecoach demo",
            lambda: chrooted(
                root, f"cd /tmp && rm -rf voicecoach-demo && {HOME}/.venv/bin/voicecoach demo"
            ),
        )
        steps.append(demo)
        if demo["ok"]:
            steps.append(step("same demo transcript as x86", lambda: same_transcript(root)))
        steps.append(
            step(
                "test tools (pip install -e .[dev])",
                lambda: chrooted(root, ".venv/bin/pip install -q -e .[piper,dev]"),
            )
        )
        steps.append(
            step(
                f"{len(TESTS)} test files",
                lambda: chrooted(
                    root,
                    ".venv/bin/python -m pytest -q -p no:cacheprovider -m 'not audio' "
                    + " ".join(TESTS),
                ),
            )
        )
        machine = chrooted(root, "python3 -c 'import platform; print(platform.machine())'")
    return {"machine": machine.strip(), "steps": steps, "minutes": (time.time() - started) / 60,
            "commit": commit}  # fmt: skip


def step(name: str, work) -> dict:
    started = time.time()
    try:
        detail, ok = work() or "", True
    except subprocess.CalledProcessError as error:
        detail, ok = (error.stdout or "")[-1500:] + (error.stderr or "")[-1500:], False
    print(f"{'ok  ' if ok else 'FAIL'} {name} ({time.time() - started:.0f} s)", flush=True)
    return {"name": name, "ok": ok, "seconds": round(time.time() - started), "detail": detail}


def prepare_host() -> None:
    needed = {"qemu-aarch64-static": "qemu-user-static", "debootstrap": "debootstrap",
              "update-binfmts": "binfmt-support"}  # fmt: skip
    missing = [package for tool, package in needed.items() if not shutil.which(tool)]
    if missing:
        run(["apt-get", "install", "-y", "-q", *missing])
    if not Path("/proc/sys/fs/binfmt_misc/register").exists():
        run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"])
    run(["update-binfmts", "--enable", "qemu-aarch64"])


def make_root(root: Path) -> str:
    if (root / "usr" / "bin" / "python3").exists():
        return "reused"
    root.mkdir(parents=True, exist_ok=True)
    include = "python3,python3-venv,python3-pip,ca-certificates"
    run(["debootstrap", "--arch=arm64", "--variant=minbase", f"--include={include}", SUITE,
         str(root), mirror()])  # fmt: skip
    return "built"


def mirror() -> str:
    """The host's Debian mirror (this machine reaches package registries only)."""
    for sources in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        if sources.exists() and (found := re.search(r"https?://\S+/debian\b", sources.read_text())):
            return found.group(0)
    return "http://deb.debian.org/debian"


def copy_checkout(root: Path) -> None:
    """The tracked files of this checkout, fresh (no .venv: installed as a Pi user would), and the
    host's resolver, pip configuration and CA certificates (this machine reaches the package
    registries through a proxy of its own; its local wheel folders are x86, so not those)."""
    target = root / HOME.lstrip("/")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    files = git("ls-files", "-z").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    shutil.copy2("/etc/resolv.conf", root / "etc" / "resolv.conf")
    for name in ("pip.conf", "ssl/certs/ca-certificates.crt"):  # the registries' proxy's CA
        if (Path("/etc") / name).exists():
            shutil.copy2(Path("/etc") / name, root / "etc" / name)


@contextmanager
def mounted(root: Path):
    """/proc and /dev, as the install and the programs need. Not this machine's /sys: it
    describes x86 hardware, and onnxruntime 1.29+ reads devices there on import and crashes
    under emulation (a Pi has its own /sys); without it, onnxruntime warns that it cannot read
    the CPU's features and carries on."""
    points = [root / "proc", root / "dev"]
    run(["mount", "-t", "proc", "proc", str(points[0])])
    run(["mount", "--rbind", "/dev", str(points[1])])
    try:
        yield
    finally:
        for point in reversed(points):
            subprocess.run(["umount", "-R", "-l", str(point)], check=False)


def chrooted(root: Path, command: str) -> str:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": "/root",
           "LANG": "C.UTF-8", "PIP_DEFAULT_TIMEOUT": "180"}  # fmt: skip
    done = subprocess.run(["chroot", str(root), "/bin/bash", "-c", f"cd {HOME} && {command}"],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout[-1500:]


def same_transcript(root: Path) -> str:
    """The arm64 demo's transcript against one made here now, from the same checkout."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "voicecoach", "demo"], cwd=folder, check=True,
                       capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
        here = transcript(Path(folder) / "voicecoach-demo")
    there = transcript(root / "tmp" / "voicecoach-demo")
    if here != there:
        raise subprocess.CalledProcessError(1, "compare", f"x86:\n{here}\narm64:\n{there}")
    return f"{len(there.splitlines())} lines, identical"


def transcript(folder: Path) -> str:
    return next(folder.glob("*.txt")).read_text()


def run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


# --- Pi-class timing ---------------------------------------------------------------------------


def pi_timing() -> dict:
    here = sysbench()
    ratio = here / PI4_SYSBENCH
    ratios = {"integer (sysbench)": ratio, "float, twice the integer gap": ratio * SIMD_FACTOR}
    rows = {name: limited(r) for name, r in ratios.items()}
    return {"sysbench_here": here, "cpu": cpu_name(), "ratios": ratios, "rows": rows}


def sysbench() -> float:
    """Single-thread sysbench events per second here, the best of three 10 s runs."""
    if not shutil.which("sysbench"):
        run(["apt-get", "install", "-y", "-q", "sysbench"])
    best = 0.0
    for _ in range(3):
        text = run(["sysbench", "cpu", "--threads=1", "--time=10", "run"])
        best = max(best, float(re.search(r"events per second:\s*([\d.]+)", text).group(1)))
    return best


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def limited(ratio: float) -> dict:
    """The timing worker in a cgroup held to 1/ratio of one core, all its threads together."""
    group = Path(f"/sys/fs/cgroup/cpu/voicecoach-pi-{os.getpid()}")
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(round(PERIOD_US / ratio)))
        command = [sys.executable, "-m", "bench.pi", "--worker", str(ratio)]
        join = lambda: (group / "cgroup.procs").write_text("0")  # noqa: E731 (in the child)
        worker = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=join
        )
        out, _ = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"bench.pi: the timing worker failed ({worker.returncode})")
        return json.loads(out.splitlines()[-1])
    finally:
        time.sleep(0.5)
        group.rmdir()


def timing_worker(ratio: float) -> dict:
    """Each condition's command stream through the live path's Listener, in this process (held
    to a Pi 4's share): accuracy, latency as live (a slow block delays the next), and RTF."""
    from bench import noise, systems
    from bench.evaluate import run as hear
    from bench.recognition import commands_stream, under

    stream = commands_stream(quick=True)
    rows = {}
    for condition in (c for c in noise.CONDITIONS if c.name in CONDITIONS):
        score = hear(systems.factory("ps-default"), stream, under(condition, stream), "commands")
        rows[condition.name] = {
            "correct": score.correct, "said": score.utterances,
            "p50_ms": 1000 * float(np.percentile(score.latencies, 50)),
            "p95_ms": 1000 * float(np.percentile(score.latencies, 95)),
            "rtf_pi": score.cpu_seconds / score.audio_seconds * ratio,
        }  # fmt: skip
    return rows


# --- report ------------------------------------------------------------------------------------


def report(kept: dict) -> str:
    lines = ["# VoiceCoach on a Raspberry Pi 4", "", "Made by `scripts/pi-check` (bench/pi.py)."]
    if emulation := kept.get("emulation"):
        lines += emulation_section(emulation)
    if timing := kept.get("timing"):
        lines += timing_section(timing)
    return "\n".join(lines) + "\n"


def emulation_section(emulation: dict) -> list[str]:
    lines = [
        "",
        "## arm64 under emulation",
        "",
        f"An arm64 Debian 12 root (debootstrap, {SUITE}), run through qemu-user "
        f"(`platform.machine()` there: {emulation['machine']}); the checkout at "
        f"{emulation['commit']} copied in and installed with `scripts/install` as on a Pi. "
        f"The whole check took {emulation['minutes']:.0f} min; emulation runs code many times "
        "slower than this machine does, so its times are not a Pi's.",
        "",
        "| step | result | minutes |",
        "|---|---|---|",
    ]
    for s in emulation["steps"]:
        result = "ok" if s["ok"] else "**failed**"
        detail = s["detail"].strip().splitlines()[-1:] if s["detail"].strip() else []
        lines.append(f"| {s['name']} | {result}{': ' + detail[0] if detail else ''} "
                     f"| {s['seconds'] / 60:.1f} |")  # fmt: skip
    lines += ["", "Tests run: " + ", ".join(f"`{t}`" for t in TESTS) + "."]
    return lines


def timing_section(timing: dict) -> list[str]:
    ratios = timing["ratios"]
    integer, simd = ratios.values()
    lines = [
        "",
        "## A Pi 4's speed",
        "",
        f"This machine's core ({timing['cpu']}) runs sysbench 1.0.20's single-thread CPU test at "
        f"{timing['sysbench_here']:.0f} events/s (best of three); a Pi 4 (Cortex-A72, 1.5 GHz) "
        f"at {PI4_SYSBENCH} (published: leoncode.co.uk/articles/raspberry-pi-benchmarks). That "
        f"integer test puts this core {integer:.1f} times ahead; the float kernels here use "
        "256-bit AVX2 against the A72's 128-bit NEON, so the Pi 4 is also judged at twice that, "
        f"{simd:.1f}. The listening chain ran as live (bench.evaluate: blocks arrive in real "
        "time, a slow block delays the next) in a cgroup held to 1/R of one core, every thread "
        "together (a Pi 4 has four cores, so this is pessimistic for onnxruntime's threads). "
        "Commands: the quick benchmark's 4 voices, every phrase once.",
        "",
        "| core ratio R | condition | heard right | latency p50 / p95 ms | RTF on a Pi 4 |",
        "|---|---|---|---|---|",
    ]
    for name, rows in timing["rows"].items():
        for condition, row in rows.items():
            lines.append(
                f"| {ratios[name]:.1f} ({name}) | {condition} | {row['correct']}/{row['said']} "
                f"| {row['p50_ms']:.0f} / {row['p95_ms']:.0f} | {row['rtf_pi']:.2f} |"
            )
    worst = max(row["p95_ms"] for rows in timing["rows"].values() for row in rows.values())
    met = "met" if worst <= BUDGET["p95_ms"] else "**not met**"
    lines += [
        "",
        f"Latency budget (p95 at most {BUDGET['p95_ms']} ms): {met}, up to {worst:.0f} ms.",
    ]
    return lines + footprint_section(max(ratios.values()))


def footprint_section(ratio: float) -> list[str]:
    """`serve`'s CPU and memory from the last bench.footprint run, its CPU scaled to a Pi 4."""
    from bench.readme import table

    text = (ROOT / "docs" / "benchmarks" / "footprint.md").read_text()
    header, *rows = table(text, "# Footprint of `voicecoach serve`")
    cpu = header.index("CPU (one core)")
    lines = ["| " + " | ".join([*header, "CPU on a Pi 4 (x R)"]) + " |",
             "|" + "---|" * (len(header) + 1)]  # fmt: skip
    for cells in rows:
        pi_share = float(cells[cpu].rstrip("%")) * ratio
        lines.append("| " + " | ".join([*cells, f"{pi_share:.0f}%"]) + " |")
    return [
        "",
        "## CPU share and memory",
        "",
        "`python -m bench.footprint` (docs/benchmarks/footprint.md): `serve` measured here, its "
        f"CPU multiplied by R = {ratio:.1f} for a Pi 4. Memory is this machine's (x86-64); the "
        f"arm64 wheels are of like size. Budget: listening idle under {BUDGET['cpu_share']:.0%} "
        f"of one core, a session under {BUDGET['rss_mb']} MB, p95 latency at most "
        f"{BUDGET['p95_ms']} ms.",
        "",
        *lines,
    ]


if __name__ == "__main__":
    raise SystemExit(main())
