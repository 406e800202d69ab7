from voicecoach.cli import main

raise SystemExit(main())
