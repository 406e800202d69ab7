"""The session engine: a state machine fed by commands and a clock, producing what to say."""
