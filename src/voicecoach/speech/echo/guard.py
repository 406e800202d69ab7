"""Telling the coach's own voice from a person talking over it (double-talk detection).

The coach knows exactly what it played and when (the output logs each 20 ms frame as it reaches
the device). From that it predicts, frame by frame, how loud its own voice is at the microphone:
the played level times a gain learned while it talks, spread forward in time to cover the room's
reverberation. A command heard while the coach was
talking is taken as the coach's echo unless enough of its frames are clearly above that level.
"""

from collections import deque
from collections.abc import Callable

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import LEVEL_FRAME, LEVEL_SECONDS, AudioOutput, Levels, frame_powers
from voicecoach.speech.commands import normalize
from voicecoach.speech.recognizer import CommandEvent

QUIET = 1e-7  # frame power (full scale = 1) below which the coach counts as silent
REVERB_DECAY = 0.5 ** (LEVEL_SECONDS / 0.05)  # the predicted echo halves every 50 ms
REVERB_SECONDS = 0.3  # how long after a line its echo is still predicted
LONGEST_LINE_SECONDS = 20.0  # how far back a line heard now may have started
LEARN_AFTER = 1.0  # seconds the gain waits for the echo to show each line's lag


class EchoGate:
    def __init__(
        self,
        levels: Callable[[float, float], Levels],
        margin_db: float = 3.0,
        min_share: float = 0.25,
        history_seconds: float = 30.0,
        search_seconds: float = 0.35,
    ) -> None:
        self.levels = levels  # what the output played, frame by frame, on the microphone's clock
        self.margin = 10 ** (margin_db / 10)
        self.min_share = min_share  # of a command's frames that must stand out
        self.search_seconds = search_seconds  # how far a line may be out of step with the record
        self._mic: deque[tuple[float, float]] = deque(maxlen=round(history_seconds / LEVEL_SECONDS))
        self._unlearned: deque[tuple[float, float]] = deque()  # frames the gain has yet to see
        self._ratios: deque[float] = deque(maxlen=500)  # mic / coach power while the coach talks
        self._lags: dict[int, float] = {}  # piece -> seconds, once the microphone heard it all
        self._rest = np.zeros(0, np.int16)  # the part of a block short of a whole frame ...
        self._rest_start = 0.0  # ... and when it was captured

    @property
    def gain(self) -> float:
        """Power at the microphone per unit of power played (median while the coach talks)."""
        return float(np.median(self._ratios)) if len(self._ratios) >= 25 else 1.0

    def hear(self, block: np.ndarray, start: float) -> None:
        """Take a microphone block (any length) whose first sample was captured at `start`."""
        expected = self._rest_start + len(self._rest) / SAMPLE_RATE
        if len(self._rest) == 0 or abs(expected - start) >= LEVEL_SECONDS:
            # Nothing carried over, or a gap it must not straddle: the block's own time counts.
            self._rest, self._rest_start = np.zeros(0, np.int16), start
        samples = np.concatenate([self._rest, np.asarray(block, np.int16).ravel()])
        whole = len(samples) // LEVEL_FRAME * LEVEL_FRAME
        powers = frame_powers(samples[:whole], SAMPLE_RATE)
        start = self._rest_start
        self._rest, self._rest_start = samples[whole:], start + whole / SAMPLE_RATE
        if len(powers) == 0:
            return
        times = start + LEVEL_SECONDS * np.arange(len(powers))
        frames = list(zip(times.tolist(), powers.tolist(), strict=True))
        self._mic.extend(frames)
        self._unlearned.extend(frames)
        # The room's gain is learned a little later, once the lines' echoes show their lags:
        # from the frames heard LEARN_AFTER before this block.
        settled = []
        while self._unlearned and self._unlearned[0][0] < times[-1] + LEVEL_SECONDS - LEARN_AFTER:
            t, p = self._unlearned.popleft()
            if t > start - LEARN_AFTER - LEVEL_SECONDS / 2:  # not from before a gap
                settled.append((t, p))
        if not settled:
            return
        then, heard = np.array(settled).T
        played = self._coach_power(then, reverb=False, aligned=True)
        loud = (played > QUIET * 100) & (heard > 0)
        self._ratios.extend((heard[loud] / played[loud]).tolist())

    def is_echo(self, start: float, end: float) -> bool:
        """Whether the speech heard from `start` to `end` is the coach's own voice."""
        frames = [(t, p) for t, p in self._mic if start <= t <= end]
        if not frames:
            return False
        times, powers = np.array(frames).T
        predicted = self.gain * self._coach_power(times, reverb=True, aligned=True)
        if predicted.max() <= QUIET:
            return False  # the coach was silent: whatever was heard was someone else
        # Background noise (a radio) fills the coach's pauses too: only sound above both counts.
        floor = float(np.percentile([p for _, p in self._mic], 10))
        above = powers > np.maximum(predicted, floor) * self.margin
        return bool(above.mean() < self.min_share)

    def _coach_power(self, times: np.ndarray, reverb: bool, aligned: bool = False) -> np.ndarray:
        """The coach's played power at each time; with `reverb`, the louder of it and the
        decaying tail of what it played just before.
        `aligned`: each piece moved by the lag its echo shows at the microphone."""
        tail = REVERB_SECONDS if reverb else 0.0
        reach = self.search_seconds if aligned else 0.0
        played = self.levels(times[0] - tail - reach - LEVEL_SECONDS, times[-1] + reach)
        result = np.zeros(len(times))
        if len(played.powers) == 0:
            return result
        played_at = played.times.copy()
        if aligned and self._mic:
            whole = self.levels(times[0] - LONGEST_LINE_SECONDS, times[-1] + reach)
            for piece in np.unique(played.pieces):
                if (lag := self._lags.get(int(piece))) is None:
                    own = whole.pieces == piece
                    lag = self._piece_lag(int(piece), whole.times[own], whole.powers[own])
                played_at[played.pieces == piece] += lag
        for i, t in enumerate(times):
            ago = t - played_at  # how long before t each frame started
            if reverb:  # one frame of slack either side
                near = (ago > -LEVEL_SECONDS) & (ago < 2 * LEVEL_SECONDS + tail)
            else:  # the frame nearest in time
                near = (ago > -LEVEL_SECONDS / 2) & (ago <= LEVEL_SECONDS / 2)
            if near.any():
                frames_ago = np.maximum(ago[near] / LEVEL_SECONDS - 1, 0)
                decay = REVERB_DECAY**frames_ago if reverb else 1.0
                result[i] = float((played.powers[near] * decay).max())
        return result

    def _piece_lag(self, piece: int, times: np.ndarray, powers: np.ndarray) -> float:
        """How late a piece of a line reached the microphone, against the output's record.

        The record can be a few hundred milliseconds off (a sound server starting a stream late,
        an underflow); the echo shows the truth: the shift that best lines the piece's levels up
        with the microphone's. Pieces too short or too flat to tell keep their recorded times.
        Judged on what the microphone has heard so far; kept once it has heard all of it.
        """
        mic = np.array(self._mic)
        complete = times[-1] + self.search_seconds < mic[-1, 0]
        heard_yet = times + self.search_seconds <= mic[-1, 0]
        times, powers = times[heard_yet], powers[heard_yet]
        if len(times) < 10 or powers.std() == 0:
            return 0.0
        played = np.log10(powers + QUIET)
        best, best_fit = 0.0, 0.5  # a weaker fit than this is no evidence of a lag
        for lag in np.arange(-self.search_seconds, self.search_seconds + 1e-9, LEVEL_SECONDS / 2):
            index = np.clip(np.searchsorted(mic[:, 0], times + lag), 0, len(mic) - 1)
            if np.abs(mic[index, 0] - times - lag).max() > LEVEL_SECONDS:
                continue  # the microphone did not hear all of it (yet)
            heard = np.log10(mic[index, 1] + QUIET)
            fit = float(np.corrcoef(played, heard)[0, 1]) if heard.std() > 0 else 0.0
            if fit > best_fit:
                best, best_fit = float(lag), fit
        if complete:
            self._lags[piece] = best
        return best


def phrase_in(phrase: str, text: str) -> bool:
    """Whether the words of `phrase` occur, in order and together, in `text`."""
    words, said = normalize(phrase).split(), normalize(text).split()
    return any(said[i : i + len(words)] == words for i in range(len(said) - len(words) + 1))


class EchoGuard:
    """Drops commands that are the coach's own voice coming back through the microphone.

    Two tests: the coach was saying those very words, or the sound heard is no louder than the
    coach's own voice predicts (EchoGate). A person talking over the coach passes both.
    """

    def __init__(self, output: AudioOutput, margin: float = 0.5) -> None:
        self.output = output
        self.margin = margin
        self.gate = EchoGate(output.levels)

    def hear(self, block: np.ndarray, start: float) -> None:
        """Every microphone block, with the output-clock time of its first sample."""
        self.gate.hear(block, start)

    def is_echo(self, heard: CommandEvent, output_time: Callable[[float], float]) -> bool:
        """`output_time` maps seconds of microphone audio to the output's clock."""
        start, end = output_time(heard.start), output_time(heard.end)
        for t in (start, (start + end) / 2, end):
            playing = self.output.playing_at(t, self.margin)
            if playing and phrase_in(heard.text, playing):
                return True
        return self.gate.is_echo(start, end)
