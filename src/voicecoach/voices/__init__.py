"""The coach's voice: text to speech through espeak-ng, Piper, flite or pyttsx3."""
