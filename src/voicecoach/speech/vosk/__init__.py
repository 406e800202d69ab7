"""The Vosk (Kaldi) recogniser, its grammar and its downloadable models."""
