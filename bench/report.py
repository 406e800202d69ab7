"""Turn benchmark results into docs/benchmarks/recognition.md and PNG plots."""

from collections import defaultdict
from pathlib import Path

import numpy as np

from bench import noise, room
from bench.streams import Stream

# The streams of speech that is not a command, and how the tables head them.
NEGATIVES = {
    "real speech": "real speech",
    "short phrases": "short real phrases",
    "exclamations": "real exclamations",
    "chatter": "chatter",
}
# The real room's conditions in the summary, a column for each kind: 10 and 5 dB (1, 2 and 3 m)
ROOM_COLUMNS = {
    **{
        f"{kind} 10 / 5 dB": tuple(c.name for c in noise.REAL_ROOM if c.recorded == kind)
        for kind in room.KINDS
    },
    "room 0.6 s at 1 / 2 / 3 m": tuple(c.name for c in noise.REAL_ROOM if c.distance_m),
}
PINK_AXIS = (
    ("clean", 50),
    ("pink 20 dB", 20),
    ("pink 10 dB", 10),
    ("pink 5 dB", 5),
    ("pink 0 dB", 0),
)


def _group(results: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(r["system"], r["condition"], r["kind"]): r for r in results}


def _systems(results: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["system"] for r in results))


def _conditions(results: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["condition"] for r in results))


def accuracy(r: dict | None) -> float | None:
    return r["correct"] / r["utterances"] if r and r["utterances"] else None


def per_10_min(rows: list[dict]) -> float | None:
    seconds = sum(r["audio_seconds"] for r in rows)
    return 600 * sum(r["false_commands"] for r in rows) / seconds if seconds else None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _total(counts: list[int | None]) -> float | None:
    """The sum, or None where a count was not measured (results from before it was)."""
    return None if any(c is None for c in counts) else float(sum(counts))  # type: ignore[arg-type]


def system_summary(results: list[dict], system: str) -> dict:
    rows = [r for r in results if r["system"] == system]
    by = _group(rows)
    commands = [r for r in rows if r["kind"] == "commands"]
    latencies = [
        x for r in commands if r["condition"] in ("clean", "pink 10 dB") for x in r["latencies"]
    ]
    return {
        "clean": accuracy(by.get((system, "clean", "commands"))),
        "pink 10 dB": accuracy(by.get((system, "pink 10 dB", "commands"))),
        "pink 0 dB": accuracy(by.get((system, "pink 0 dB", "commands"))),
        **{
            column: [accuracy(by.get((system, name, "commands"))) for name in names]
            for column, names in ROOM_COLUMNS.items()
        },
        **{kind: per_10_min([r for r in rows if r["kind"] == kind]) for kind in NEGATIVES},
        "coach": float(sum(r["false_commands"] for r in rows if r["kind"] == "coach")),
        "coach guarded": _total([r.get("guarded_false") for r in rows if r["kind"] == "coach"]),
        "p50": float(np.percentile(latencies, 50)) if latencies else None,
        "p95": float(np.percentile(latencies, 95)) if latencies else None,
        "rtf": sum(r["cpu_seconds"] for r in rows)
        / max(sum(r["audio_seconds"] for r in rows), 1e-9),
        "peak_mb": max(r["peak_added_mb"] for r in rows),
    }


SUMMARY_HEADER = (
    "| system | acc clean | acc pink 10 dB | acc pink 0 dB "
    + "".join(f"| acc {column} " for column in ROOM_COLUMNS)
    + "".join(f"| false/10 min {name} " for name in NEGATIVES.values())
    + "| coach-speech commands: recogniser / past the echo guard "
    "| latency p50 / p95 ms | RTF | recogniser peak MB |"
)


def summary_table(results: list[dict]) -> str:
    lines = [SUMMARY_HEADER, _rule(SUMMARY_HEADER)]
    for system in _systems(results):
        s = system_summary(results, system)
        latency = f"{_num(_ms(s['p50']), 0)} / {_num(_ms(s['p95']), 0)}"
        coach = f"{_num(s['coach'], 0)} / {_num(s['coach guarded'], 0)}"
        lines.append(
            f"| {system} | {_pct(s['clean'])} | {_pct(s['pink 10 dB'])} | {_pct(s['pink 0 dB'])} "
            + "".join(f"| {' / '.join(map(_pct, s[column]))} " for column in ROOM_COLUMNS)
            + "".join(f"| {_num(s[kind])} " for kind in NEGATIVES)
            + f"| {coach} | {latency} | {_num(s['rtf'], 3)} | {_num(s['peak_mb'], 0)} |"
        )
    return "\n".join(lines)


PAIN_HEADER = '| system | condition | "too painful" said | heard | asked | recall |'


def pain_table(results: list[dict]) -> str:
    """The command that must never be lost, per condition: heard right, and asked about ("did
    you say it hurts?"); recall counts only heard right."""
    by = _group(results)
    lines = [PAIN_HEADER, _rule(PAIN_HEADER)]
    for system in _systems(results):
        for condition in _conditions(results):
            c = by.get((system, condition, "commands"))
            if c is None or "pain" not in c.get("by_command", {}):
                continue
            heard, said = c["by_command"]["pain"]
            lines.append(
                f"| {system} | {condition} | {said} | {heard} | {c.get('asked', 0)} "
                f"| {_pct(heard / said if said else None)} |"
            )
    return "\n".join(lines)


def _rule(header: str) -> str:
    """The line under a table's header: one cell per column of it."""
    return "|" + " --- |" * (header.count("|") - 1)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds


def condition_table(results: list[dict]) -> str:
    by = _group(results)
    header = (
        "| system | condition | accuracy | substitutions | misses | insertions "
        + "".join(f"| false/10 min {name} " for name in NEGATIVES.values())
        + '| "too painful" heard | latency p95 ms |'
    )
    lines = [header, _rule(header)]
    for system in _systems(results):
        for condition in _conditions(results):
            c = by.get((system, condition, "commands"))
            if c is None:
                continue
            negatives = [by.get((system, condition, kind)) for kind in NEGATIVES]
            lines.append(
                f"| {system} | {condition} | {_pct(accuracy(c))} | {c['substitutions']} "
                f"| {c['misses']} | {c['false_commands']} "
                + "".join(f"| {_num(per_10_min([n] if n else []))} " for n in negatives)
                + f"| {_heard(c, 'pain')}{_asked(c)} | {_num(_ms(_p95(c['latencies'])), 0)} |"
            )
    return "\n".join(lines)


def _asked(commands: dict) -> str:
    """The coach asking "did you say it hurts?" where "too painful" was said."""
    return f", {commands['asked']} asked" if commands.get("asked") else ""


def _p95(latencies: list[float]) -> float | None:
    return float(np.percentile(latencies, 95)) if latencies else None


def _heard(commands: dict, command: str) -> str:
    """How many times `command` was heard right, of how many times it was said."""
    correct, said = commands.get("by_command", {}).get(command, (None, None))
    return "–" if said is None else f"{correct} of {said}"


def voice_table(results: list[dict], conditions: tuple[str, ...] = ("clean", "pink 10 dB")) -> str:
    rows = [r for r in results if r["kind"] == "commands" and r["condition"] in conditions]
    columns = [f"{r['system']}, {r['condition']}" for r in rows]
    voices = sorted({voice for r in rows for voice in r["by_voice"]})
    lines = ["| voice | " + " | ".join(columns) + " |", "|" + " --- |" * (len(columns) + 1)]
    for voice in voices:
        cells = []
        for r in rows:
            correct, said = r["by_voice"].get(voice, (0, 0))
            cells.append(_pct(correct / said if said else None))
        lines.append(f"| {voice} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(
    results: list[dict], streams: dict[str, Stream], out: Path, quick: bool, seconds: float
) -> None:
    _plot_accuracy(results, out / "recognition-accuracy.png")
    _plot_latency(results, out / "recognition-latency.png")
    minutes = {kind: len(s.audio) / 16_000 / 60 for kind, s in streams.items()}
    text = [
        "# Recognition benchmark",
        "",
        f"Generated by `python -m bench.recognition{' --quick' if quick else ''}` "
        f"in {seconds / 60:.1f} min. Do not edit by hand.",
        "",
        f"- command stream: {len(streams['commands'].placed)} utterances "
        f"({minutes['commands']:.1f} min), synthetic voices the tests do not use, "
        "1.5–4 s of silence between them",
        f"- real read speech (pocketsphinx-testdata, at 0.9/1.0/1.1x speed): "
        f"{minutes['real speech']:.1f} min per condition",
        f'- short real phrases (alsa-utils\' speaker test: "Front left", "Rear center"..., '
        f"at 0.9/1.0/1.1x speed): {minutes.get('short phrases', 0):.1f} min per condition",
        f'- real exclamations and grunts (hedgewars\' voice lines, ten English voices: "Ow", '
        f'"Hmm", "Bye bye"...): {minutes.get("exclamations", 0):.1f} min per condition',
        f"- synthetic chatter: {minutes['chatter']:.1f} min per condition; "
        f"coach's own speech (routine, espeak-ng and Piper): {minutes['coach']:.1f} min "
        "(clean and pink 10 dB)",
        _real_room_note(),
        "- latency: end of the spoken phrase to the command, as live: blocks arrive in real "
        "time and wait while earlier ones are worked on; "
        "RTF: CPU seconds per audio second, one core; recogniser peak: the most memory a job's "
        "recogniser added (models and working memory), over all jobs",
        "",
        "## Summary",
        "",
        summary_table(results),
        "",
        pain_table(results),
        "",
        "## Per condition",
        "",
        condition_table(results),
        "",
        "## Commands heard, by voice",
        "",
        voice_table(results),
        "",
        "![accuracy vs SNR](recognition-accuracy.png)",
        "![latency](recognition-latency.png)",
        "",
    ]
    (out / "recognition.md").write_text("\n".join(text))


def _real_room_note() -> str:
    report = {kind: ", ".join(room.HALVES[kind]["report"]) for kind in room.KINDS}
    return (
        "- real room (commands only; bench/room.py; recordings held out: the report half "
        "only, never tuned or fitted on): "
        f"music (fretsonfire-songs-muldjord: {report['music']}); "
        "TV speech, one talker on and on, and babble, four at once (Tux Paint's spoken stamp "
        f"descriptions, tuxpaint-stamps-default: {report['tv speech']}; {report['babble']}); "
        "household clatter (Tux Paint's stamp sounds: "
        f"{', '.join(name.rsplit('/', 1)[-1] for name in room.HALVES['clatter']['report'])}); "
        "SNR over the whole stream; a 6 x 5 x 2.7 m room (image sources, pyroomacoustics, "
        "RT60 about 0.6 s) with the talker 1, 2 or 3 m from the microphone"
    )


def _plot_accuracy(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = _group(results)
    fig, ax = plt.subplots(figsize=(6, 4))
    for system in _systems(results):
        points = [(x, accuracy(by.get((system, c, "commands")))) for c, x in PINK_AXIS]
        points = [(x, 100 * a) for x, a in points if a is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=system)
    ax.set_xlabel("SNR, pink noise (dB; 50 = clean)")
    ax.set_ylabel("command accuracy (%)")
    ax.axhline(90, color="grey", linestyle=":")
    ax.invert_xaxis()
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_latency(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latencies: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r["kind"] == "commands":
            latencies[r["system"]] += [1000 * x for x in r["latencies"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    for system, values in latencies.items():
        ax.hist(values, bins=40, alpha=0.5, label=system)
    ax.axvline(400, color="grey", linestyle=":")
    ax.set_xlabel("end of speech to command (ms)")
    ax.set_ylabel("commands")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
