"""`voicecoach serve` (room-speaker mode) and `voicecoach demo` (a simulated session)."""

import argparse
import signal
import sys
from pathlib import Path

from voicecoach.cli.run import (
    add_setting_options,
    add_workout_options,
    json_printer,
    settings_from,
    text_printer,
)


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve", help='wait for "start workout", check in, coach, and wait again'
    )
    serve.add_argument("--json", action="store_true", help="log one JSON event per line")
    serve.add_argument("--routine", help='what "start workout" runs (default: config)')
    add_setting_options(serve)
    serve.set_defaults(handler=serve_forever)

    demo = sub.add_parser("demo", help="a whole short session in a simulated room (no audio)")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("voicecoach-demo"),
        metavar="DIR",
        help="folder for the WAV and the transcript (default: %(default)s)",
    )
    demo.add_argument("--routine", help="default: config")
    add_workout_options(demo)
    demo.add_argument(
        "--user-voice",
        default="piper",
        metavar="VOICE",
        help="the simulated person's voice (default: %(default)s)",
    )
    demo.set_defaults(handler=run_demo)


def serve_forever(args: argparse.Namespace) -> int:
    from voicecoach.audio.devices import check_device
    from voicecoach.audio.outputs import SoundDeviceOutput
    from voicecoach.live import VoiceCache
    from voicecoach.routines import load_library
    from voicecoach.serve import Server, recognizers, speaker

    settings = settings_from(args)
    library = load_library()
    library.routine(settings.routine)  # a bad default routine is an error now, not at "start"
    check_device(settings.input_device, "input")
    voice = VoiceCache(speaker(settings))
    recognizer_for = recognizers(settings)
    show = json_printer if args.json else text_printer
    with SoundDeviceOutput(settings.output_device) as output:
        server = Server(library, settings, output, voice, recognizer_for, show)
        # systemd stops the service with SIGINT: finish the session's log, then exit 130.
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        print('voicecoach: waiting for "start workout"', file=sys.stderr)
        try:
            server.run()
        except KeyboardInterrupt:
            server.stop()
            return 130
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from voicecoach.demo import Demo
    from voicecoach.routines import load_library
    from voicecoach.serve import recognizers, speaker
    from voicecoach.speech.commands import SESSION
    from voicecoach.voices.speakers import make_speaker

    settings = settings_from(args)
    library = load_library()
    demo = Demo(
        library,
        args.routine or settings.routine,
        settings,
        recognizers(settings)(SESSION),
        coach_voice=speaker(settings),
        user_voice=make_speaker(args.user_voice, seed=0),  # the same person every run
        out_dir=args.out,
    )
    wav = demo.run()
    print((args.out / "voicecoach-demo.txt").read_text(), end="")
    print(f"voicecoach: wrote {wav} and {args.out / 'voicecoach-demo.txt'}", file=sys.stderr)
    return 0
