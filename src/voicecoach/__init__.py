"""VoiceCoach: an offline, hands-free, voice-guided lower-back workout coach."""

__version__ = "0.1.0"
