"""A real room's sounds, from recordings the project finds in Debian packages, and a simulated
reverberant room.

- music: Muldjord's songs for Frets on Fire (fretsonfire-songs-muldjord), each its backing and
  guitar tracks mixed: loud rock with singing.
- tv speech: one person talking on and on, as a TV presenter does: a language's spoken stamp
  descriptions from Tux Paint (tuxpaint-stamps-default, "A dog.", "A kettle boils water."...),
  back to back with short pauses.
- babble: four such talkers at once, each in another language: people talking in the room.
- clatter: household sounds from Tux Paint's stamps (a glass, a hammer, scissors, a kettle...),
  one after another with short gaps.

Every recording belongs to one half (HALVES): the tune half, which may be listened to, tuned and
fitted on, and the report half, which only the benchmark's real-room conditions play. A talker
is a language (its own readers), a song a song, a sound a sound: no recording is in both halves,
so the real-room numbers stand for recordings the recogniser was never tuned to, as bench.fit
holds out by voice.
"""

import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench.negatives import read_ogg

RATE = 16_000
CACHE = Path(__file__).parent / ".cache" / "room"
TUXPAINT = Path("/usr/share/tuxpaint/stamps")
MULDJORD = Path("/usr/share/games/fretsonfire/data/songs/muldjord")
PACKAGES = {
    "music": "fretsonfire-songs-muldjord",
    "tv speech": "tuxpaint-stamps-default",
    "babble": "tuxpaint-stamps-default",
    "clatter": "tuxpaint-stamps-default",
}
KINDS = tuple(PACKAGES)
HALVES: dict[str, dict[str, tuple[str, ...]]] = {
    "music": {
        "tune": ("armygeddon", "chaos_god"),
        "report": ("internal_degeneration", "mutilated_mime"),
    },
    "tv speech": {"tune": ("es",), "report": ("fr",)},
    "babble": {"tune": ("ca", "be", "da", "es"), "report": ("ro", "ru", "bg", "el")},
    "clatter": {
        "tune": (
            "household/dishes/bottle", "household/tools/mallet_metal", "household/tools/saw",
            "household/arttools/scissors_small_closed", "household/vacuum_cleaner",
            "household/toilet", "seasonal/christmas/hard_candy", "seasonal/christmas/santahat",
        ),
        "report": (
            "household/dishes/glass", "household/tools/hammer", "household/kettle",
            "household/arttools/scissors_small_open", "household/Washing-machine",
            "household/rubberduck", "seasonal/christmas/gift", "hobbies/camera_35mm",
        ),
    },
}  # fmt: skip
TALKER_PAUSE = (0.15, 0.6)  # seconds between a talker's lines
CLATTER_GAP = (0.1, 1.5)  # seconds between household sounds


def missing(kind: str) -> str | None:
    """Why `kind`'s recordings cannot be played here, or None."""
    root = MULDJORD if kind == "music" else TUXPAINT
    if not root.is_dir():
        return f"{PACKAGES[kind]} not installed (scripts/install --dev)"
    return None


def bed(kind: str, half: str, samples: int, rng: np.random.Generator) -> np.ndarray:
    """`samples` of `kind`'s sound from the recordings of `half` ("tune" or "report")."""
    names = HALVES[kind][half]
    if kind == "clatter":
        return _clatter([recording(kind, name) for name in names], samples, rng)
    if kind == "babble":
        talkers = [_looped(recording(kind, name), samples, rng) for name in names]
        return sum(t / np.sqrt(np.mean(t**2)) for t in talkers)  # type: ignore[return-value]
    return _looped(np.concatenate([recording(kind, name) for name in names]), samples, rng)


def prepare(kind: str, half: str = "report") -> None:
    """Decode `half`'s recordings into the cache (once, before worker processes want them)."""
    for name in HALVES[kind][half]:
        recording(kind, name)


def recording(kind: str, name: str) -> np.ndarray:
    """One recording as 16 kHz float samples (int16 scale), decoded once and cached."""
    source = "talker" if kind in ("tv speech", "babble") else kind  # one talker, one cache
    path = CACHE / f"{source}-{name.replace('/', '_')}.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, _decode(kind, name))
    return np.load(path)


def _decode(kind: str, name: str) -> np.ndarray:
    if kind == "music":
        tracks = [read_ogg(MULDJORD / name / f"{part}.ogg") for part in ("song", "guitar")]
        mixed = np.zeros(max(len(t) for t in tracks))
        for track in tracks:
            mixed[: len(track)] += track
        return mixed
    if kind == "clatter":
        return read_ogg(TUXPAINT / f"{name}.ogg").astype(np.float64)
    return _talker(name)


def _talker(language: str) -> np.ndarray:
    """Every stamp description read in `language`, in a fixed order with short pauses."""
    files = sorted(TUXPAINT.rglob(f"*_desc_{language}.ogg"))
    with ThreadPoolExecutor(4) as pool:
        lines = list(pool.map(read_ogg, files))
    rng = np.random.default_rng(zlib.crc32(language.encode()))
    parts = []
    for line in lines:
        parts += [line.astype(np.float64), np.zeros(int(RATE * rng.uniform(*TALKER_PAUSE)))]
    return np.concatenate(parts)


def _looped(audio: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """`samples` of `audio` from a random point on, starting again at its end."""
    start = int(rng.integers(len(audio)))
    return np.resize(np.roll(audio, -start), samples)


def _clatter(sounds: list[np.ndarray], samples: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(samples)
    cursor = int(RATE * rng.uniform(*CLATTER_GAP))
    while cursor < samples:
        sound = sounds[rng.integers(len(sounds))] * 10 ** (rng.uniform(-6, 6) / 20)
        end = min(cursor + len(sound), samples)
        out[cursor:end] += sound[: end - cursor]
        cursor = end + int(RATE * rng.uniform(*CLATTER_GAP))
    return out


# A living room, 6 x 5 x 2.7 m; the microphone on a low table, the talker on a mat on the floor.
ROOM = (6.0, 5.0, 2.7)
MICROPHONE = (1.0, 2.5, 0.8)
TALKER_HEIGHT = 0.4
SABINE_SLACK = 0.75  # the image-source room's measured RT60 is this much above Sabine's


def room_missing() -> str | None:
    try:
        import pyroomacoustics  # noqa: F401
    except ImportError:
        return "pyroomacoustics not installed (pip install -e .[dev])"
    return None


@lru_cache(maxsize=4)
def room_impulse(rt60: float, distance: float) -> np.ndarray:
    """The room's response from a talker `distance` m from the microphone (image sources, RT60
    about `rt60` s as measured), from its direct path on, scaled to unit energy so the speech
    keeps its level."""
    import pyroomacoustics as pra

    absorption, order = pra.inverse_sabine(rt60 * SABINE_SLACK, ROOM)
    room = pra.ShoeBox(ROOM, fs=RATE, materials=pra.Material(absorption), max_order=order)
    across = np.sqrt(distance**2 - (MICROPHONE[2] - TALKER_HEIGHT) ** 2)
    room.add_source([MICROPHONE[0] + across, MICROPHONE[1], TALKER_HEIGHT])
    room.add_microphone(list(MICROPHONE))
    room.compute_rir()
    impulse = np.asarray(room.rir[0][0], dtype=np.float64)
    impulse = impulse[max(0, int(np.argmax(np.abs(impulse))) - 40) :]  # 40: the fractional delay
    return impulse / np.sqrt(np.sum(impulse**2))
