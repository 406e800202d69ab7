"""The coach's own voice: the guard that judges a command against what was played, and the
canceller that takes it out of the microphone's audio."""
