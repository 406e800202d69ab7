"""Sound in and out: devices, the microphone, the outputs with their record of what was played,
and WAV files. Knows nothing of speech or routines.

Import the modules themselves (`voicecoach.audio.microphone`, ...): this package stays light, so
that a WAV file can be read without loading PortAudio.
"""

SAMPLE_RATE = 16_000  # the rate of all audio inside VoiceCoach: 16 kHz mono 16-bit PCM
