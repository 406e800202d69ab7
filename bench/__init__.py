"""Benchmarks of VoiceCoach's speech recognition (`python -m bench.recognition`)."""
