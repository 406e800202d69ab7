"""Noise suppression in front of the recogniser: WebRTC's noise suppressor, as Rhasspy and Home
Assistant's voice pipeline use it (`webrtc-noise-gain`, prebuilt for x86 and ARM).

It works on 10 ms chunks of 16 kHz audio; the leftover of a block waits for the next one.
"""

import numpy as np

CHUNK = 160  # samples: 10 ms at 16 kHz


class Denoiser:
    def __init__(self, level: int = 2) -> None:
        """`level`: 0 (off) to 4 (strongest); stronger also eats more of the speech."""
        self.level = level
        self.reset()

    def reset(self) -> None:
        from webrtc_noise_gain import AudioProcessor

        self._processor = AudioProcessor(0, self.level)  # no automatic gain
        self._pending = np.zeros(0, np.int16)

    def process(self, pcm: np.ndarray) -> np.ndarray:
        """Int16 mono samples at 16 kHz in; the cleaned samples of every whole chunk so far out
        (at most 10 ms behind)."""
        self._pending = np.concatenate([self._pending, np.asarray(pcm, np.int16).ravel()])
        whole = len(self._pending) // CHUNK * CHUNK
        data = self._pending[:whole].tobytes()
        self._pending = self._pending[whole:]
        cleaned = b"".join(
            self._processor.Process10ms(data[i : i + 2 * CHUNK]).audio
            for i in range(0, len(data), 2 * CHUNK)
        )
        return np.frombuffer(cleaned, np.int16)
