"""WebRTC noise suppression in front of the recogniser, on real synthetic speech in pink noise."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.wavio import read_wav
from voicecoach.speech.denoise import Denoiser
from voicecoach.speech.pocketsphinx.noise_floor import coloured_noise

from audio_stack import power_db

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_noise_goes_down_and_speech_stays(tmp_path: Path) -> None:
    wav = tmp_path / "pause.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "pause"], check=True)
    speech = read_wav(wav).astype(np.float64)
    quiet = np.zeros(16_000 * 2)
    clean = np.concatenate([quiet, speech * 3000 / speech.std(), quiet[:8000]])
    pink = coloured_noise("pink", len(clean), np.random.default_rng(0))
    noise = pink * 3000 / 10 ** (10 / 20)  # 10 dB below the speech
    noisy = np.clip(clean + noise, -32768, 32767).astype(np.int16)
    denoiser = Denoiser(level=2)
    # Fed in odd-sized blocks, as a microphone delivers them: nothing is lost between blocks.
    blocks = [noisy[i : i + 1234] for i in range(0, len(noisy), 1234)]
    out = np.concatenate([denoiser.process(block) for block in blocks])
    assert len(noisy) - len(out) < 160
    noise_only = slice(16_000, 16_000 * 2)  # after a second to learn the noise
    words = slice(len(quiet), len(quiet) + len(speech))
    assert power_db(out[noise_only]) < power_db(noisy[noise_only]) - 10
    assert power_db(out[words]) > power_db(noisy[words]) - 4


def test_reset_starts_a_fresh_stream() -> None:
    """After reset, neither the noise it learned nor a leftover part-chunk is carried over: it
    cleans a stream exactly as a new denoiser does (and without reset it would not)."""
    rng = np.random.default_rng(1)
    learned = (coloured_noise("pink", 16_000 * 2, rng) * 2000).astype(np.int16)
    stream = (coloured_noise("pink", 16_000, rng) * 300).astype(np.int16)
    used = Denoiser()
    used.process(learned[:-100])  # a 100-sample leftover waits for the next block
    carried_on = used.process(stream)
    used = Denoiser()
    used.process(learned[:-100])
    used.reset()
    fresh = Denoiser().process(stream)
    assert len(fresh) == len(stream)
    assert np.array_equal(used.process(stream), fresh)
    assert not np.array_equal(carried_on, fresh)
