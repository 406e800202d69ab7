"""Hearing commands: the phrase table, the recogniser interface, the segmenter and its VAD,
noise suppression, and the Listener that composes the chain once for every mode. The engines
live in rooms of their own (pocketsphinx/, moonshine/, vosk/), and so does the coach's echo
(echo/). Audio devices are in voicecoach.audio, voices in voicecoach.voices."""
