"""The default recogniser: PocketSphinx decoding a grammar of the command phrases."""
