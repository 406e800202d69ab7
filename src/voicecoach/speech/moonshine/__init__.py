"""The second opinion: Moonshine hears each segment, and a fitted model weighs the verdict."""
