"""`voicecoach say` and `voicecoach devices`: try the voice and the sound devices."""

import argparse
from pathlib import Path

VOICE_HELP = (
    "espeak (default), espeak:VOICENAME (e.g. espeak:en-gb), piper (natural, optional) "
    "or pyttsx3[:VOICEID] (the system's voices, optional)"
)


def register(sub: argparse._SubParsersAction) -> None:
    say = sub.add_parser("say", help="say a line with the coach's voice")
    say.add_argument("text", metavar="TEXT")
    add_voice_options(say)
    say.add_argument("--out", type=Path, metavar="FILE.wav", help="write a WAV instead of playing")
    say.add_argument(
        "--output-device", metavar="D", help="name or number (see: voicecoach devices)"
    )
    say.set_defaults(handler=run_say)

    devices = sub.add_parser("devices", help="list the sound devices")
    devices.set_defaults(handler=run_devices)


def add_voice_options(parser: argparse.ArgumentParser) -> None:
    """--voice, --rate and --volume: shared with the sub-commands that speak."""
    parser.add_argument("--voice", default="espeak", metavar="V", help=VOICE_HELP)
    parser.add_argument("--rate", type=int, metavar="WPM", help="words per minute (default 165)")
    parser.add_argument("--volume", type=float, metavar="0..1", help="loudness (default 1)")


def run_say(args: argparse.Namespace) -> int:
    from voicecoach.audio.outputs import SoundDeviceOutput
    from voicecoach.audio.wavio import write_wav
    from voicecoach.voices.speakers import make_speaker

    pcm, rate = make_speaker(args.voice, args.rate, args.volume).render(args.text)
    if args.out:
        write_wav(args.out, pcm, rate)
        print(f"{args.out}: {len(pcm) / rate:.2f} s at {rate} Hz")
        return 0
    output = SoundDeviceOutput(args.output_device)
    try:
        output.play(pcm, rate, args.text)
        output.wait()
    finally:
        output.close()
    if output.error:
        raise output.error
    return 0


def run_devices(args: argparse.Namespace) -> int:
    from voicecoach.audio.devices import list_devices

    print(list_devices())
    return 0
