"""VoiceCoach: an offline, hands-free, voice-guided lower-back workout coach."""

from voicecoach.offline import stay_offline

__version__ = "0.1.0"

stay_offline()  # here, so that it runs before any module of ours can import onnxruntime
