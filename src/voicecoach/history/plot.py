"""`voicecoach history --plot`: minutes per session as bars, sessions with pain marked."""

from pathlib import Path

from voicecoach.history.queries import SessionSummary


def plot_sessions(sessions: list[SessionSummary], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot as plt

    x = list(range(len(sessions)))
    minutes = [s.minutes for s in sessions]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.4 * len(sessions) + 2), 4), layout="constrained")
    ax.bar(x, minutes, color="tab:blue", label="minutes")
    pain = [i for i, s in enumerate(sessions) if s.pain_reports]
    if pain:
        top = max(minutes, default=0) or 1
        ax.scatter(
            pain,
            [minutes[i] + 0.05 * top for i in pain],
            marker="v",
            s=80,
            color="tab:red",
            zorder=3,
            label="pain reported",
        )
    ax.set_xticks(x, [_label(s) for s in sessions], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("minutes")
    ax.set_title("VoiceCoach workouts")
    ax.legend(loc="upper left")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _label(session: SessionSummary) -> str:
    return f"{session.started_at.astimezone():%m-%d %H:%M}\n{session.routine}"
