"""The session engine: a state machine fed by commands and a clock, producing what to say.

It knows nothing about audio. The driver calls `start`, then `advance(now)` whenever
`next_due()` comes round, and `handle(command, now)` whenever a command is heard; each returns
the events that happened. Event times are the scheduled times, so a late call does not drift.
"""

from collections.abc import Callable, Iterable

from voicecoach.coach.commands import Command
from voicecoach.coach.events import (
    CommandHeard,
    Event,
    ExerciseDone,
    Hush,
    PainReported,
    RoutineStarted,
    Say,
    SessionEnded,
    SetDone,
    State,
    StateChanged,
)
from voicecoach.coach.script import Cue, Step, StepKind, build_script, estimate_speech_seconds
from voicecoach.routines import Library, Routine

TEMPO_STEP = 1.25
TEMPO_LIMITS = (0.5, 2.5)

PAIN_IN_POSITION = "Stop there. Ease out of the position slowly and breathe out."
PAIN_AT_REST = "Thank you for telling me. Stay in whatever position is easiest and breathe slowly."
PAIN_SWITCH = "We will switch to gentle stretches instead."
PAIN_STOP = "Let's stop for today. Lie in whatever position is easiest and breathe slowly."
DOCTOR = "If the pain stays or gets worse, please see a doctor or a physiotherapist."
ASK_PAIN = "Did you say it hurts? If it does, say too painful. If not, say resume."
PAUSED = "Paused. Say resume when you are ready."
STILL_PAUSED = "Still paused."  # after a move made while paused: short, the person may go on
NOT_PAUSED = "Already going."
REMIND_EVERY = 60.0  # seconds paused between reminders of how to go on
PAUSED_REMINDER = "We are paused. Say resume to carry on, or end workout to stop."
MOVES = (Command.NEXT, Command.PREVIOUS, Command.SKIP, Command.REPEAT)  # act while paused too


class Session:
    def __init__(
        self,
        library: Library,
        routine: Routine,
        speech_seconds: Callable[[str], float] = estimate_speech_seconds,
        tempo: float = 1.0,  # counting speed: 2 counts twice as fast
        opening: Iterable[str] = (),
        help_text: str = "",
    ) -> None:
        self.library = library
        self.speech_seconds = speech_seconds
        self.tempo = tempo
        self.help_text = help_text or "You can say: " + ", ".join(Command) + "."
        self.finished = False
        self.paused_at: float | None = None
        self.exercises_done: list[str] = []
        self.exercises_skipped: list[str] = []
        self.sets_completed = 0  # in the whole session, whatever the routine
        self._out: list[Event] = []
        self._announce: str | None = None
        self.played: set[str] = set()
        self._line_ends = 0.0  # when the last cue said ends
        self._reminded_at = 0.0  # the last reminder while paused
        self._load(routine, opening)

    # --- the driver's interface -------------------------------------------------------------

    def start(self, now: float) -> list[Event]:
        self.started_at = now
        self._emit(RoutineStarted(now, self.routine.id, self.routine.name))
        self._enter(0, now)
        return self._take()

    def advance(self, now: float) -> list[Event]:
        self._catch_up(now)
        return self._take()

    def handle(
        self, command: Command, now: float, text: str = "", announce: str | None = None
    ) -> list[Event]:
        """Apply a command heard at `now`; `announce` replaces the usual pause/resume reply."""
        if self.finished:
            return []
        self._catch_up(now)  # lines due before the command are said, not dropped
        if not self.finished:  # else the routine ended before the command came
            self._emit(CommandHeard(now, command, text))
            self._reminded_at = now  # a command heard while paused restarts the reminder wait
            self._announce = announce
            self._handlers[command](now)
            if command in MOVES and self.paused_at is not None and not self.finished:
                # Moved while paused: say where we are now, or the move goes unheard.
                self._say(f"{self.position_text()} {STILL_PAUSED}", self._quiet_from(now))
        return self._take()

    def next_due(self) -> float | None:
        return None if self.finished or self.paused_at is not None else self.due

    def reminder_due(self) -> float | None:
        """While paused: when to remind the person how to go on (the driver calls `remind`)."""
        if self.finished or self.paused_at is None:
            return None
        return max(self.paused_at, self._reminded_at) + REMIND_EVERY

    def remind(self, now: float) -> list[Event]:
        if self.paused_at is not None and not self.finished:
            self._say(PAUSED_REMINDER, now)
            self._reminded_at = now
        return self._take()

    @property
    def state(self) -> State:
        if self.finished:
            return State.FINISHED
        if self.paused_at is not None:
            return State.PAUSED
        return self._state

    @property
    def step(self) -> Step:
        return self.steps[self.step_index]

    # --- playing the script ------------------------------------------------------------------

    def _catch_up(self, now: float) -> None:
        while not self.finished and self.paused_at is None and self.due <= now:
            self._play_next_cue()

    def _load(self, routine: Routine, opening: Iterable[str] = ()) -> None:
        self.routine = routine
        self.played.add(routine.id)  # pain never switches back to one of these: no circles
        self.steps = build_script(self.library, routine, opening)
        self.exercises = [self.library.exercises[e.exercise] for e in routine.exercises]
        self._state = State.SPEAKING
        self._reported: tuple | None = None
        self._finished_sets: set[tuple[int | None, int | None, str | None]] = set()

    def _enter(self, index: int, at: float) -> None:
        if index >= len(self.steps):
            self._end("completed", at)
            return
        self.step_index, self.cue_index, self.due = index, 0, at
        self.step_started, self.step_paused, self.reps = at, 0.0, 0
        self._set_state(self.step.cues[0].state, at)

    def _play_next_cue(self) -> None:
        if self.cue_index >= len(self.step.cues):
            self._finish_step(self.due)
            return
        cue, at = self.step.cues[self.cue_index], self.due
        self._set_state(cue.state, at)
        self._say(cue.text, at)
        self._line_ends = at + self.speech_seconds(cue.text)
        self.reps = max(self.reps, cue.rep)
        self.cue_index += 1
        self.due = at + self._cue_seconds(cue)

    def _cue_seconds(self, cue: Cue) -> float:
        """From the start of a line to the start of the next."""
        gap = cue.gap / (self.tempo if cue.scaled else 1.0)
        return max(gap, self.speech_seconds(cue.text) + cue.pause)

    def _seconds_left(self, now: float) -> float:
        """How long the rest of the workout takes if nobody says anything more."""
        later = (c for step in self.steps[self.step_index + 1 :] for c in step.cues)
        upcoming = [*self.step.cues[self.cue_index :], *later]
        waiting = 0.0 if self.paused_at is not None else max(0.0, self.due - now)
        return waiting + sum(self._cue_seconds(cue) for cue in upcoming)

    def _finish_step(self, at: float, completed: bool = True) -> None:
        step = self.step
        if step.kind == StepKind.SET:
            self._set_done(at, completed)
            if self._last_set_of_exercise():
                self._exercise_done(at, skipped=False)
        self._enter(self.step_index + 1, at)

    def _last_set_of_exercise(self) -> bool:
        following = self.steps[self.step_index + 1 :]
        return not any(
            s.kind == StepKind.SET and s.exercise_index == self.step.exercise_index
            for s in following
        )

    def _restart_cue(self, at: float) -> None:
        """Play the interrupted line again from `at` (after a pause, help or status)."""
        self.cue_index = max(0, self.cue_index - 1)
        self.due = at
        self._set_state(self.step.cues[self.cue_index].state, at, force=True)

    # --- commands ----------------------------------------------------------------------------

    @property
    def _handlers(self) -> dict[Command, Callable[[float], None]]:
        return {
            Command.NEXT: self._next,
            Command.PREVIOUS: self._previous,
            Command.REPEAT: self._repeat,
            Command.PAUSE: self._pause,
            Command.RESUME: self._resume,
            Command.START: self._resume,
            Command.SKIP: self._skip,
            Command.END: self._end_by_command,
            Command.HELP: lambda now: self._answer([self.help_text], now),
            Command.STATUS: lambda now: self._answer([self.status_text(now)], now),
            Command.SLOWER: lambda now: self._change_tempo(
                1 / TEMPO_STEP, "Slowing the count.", now
            ),
            Command.FASTER: lambda now: self._change_tempo(TEMPO_STEP, "Quicker count.", now),
            Command.PAIN: self._pain,
            Command.UNSURE_PAIN: self._ask_pain,
        }

    def _next(self, now: float) -> None:
        self._interrupt(now)
        if self.step.kind == StepKind.SET:
            # Only a set whose last count was said is complete; "next" before that cuts it short.
            self._finish_step(now, completed=self.cue_index >= len(self.step.cues))
        else:
            self._enter(self.step_index + 1, now)

    def _previous(self, now: float) -> None:
        self._interrupt(now)
        self._abandon_set(now)
        landmarks = [i for i, s in enumerate(self.steps[: self.step_index + 1]) if s.landmark]
        if self.step.landmark and len(landmarks) > 1:
            target = landmarks[-2]
        else:
            target = landmarks[-1] if landmarks else 0
        self._enter(target, now)

    def _repeat(self, now: float) -> None:
        self._interrupt(now)
        self._abandon_set(now)
        lines = []
        if self.step.kind in (StepKind.SET, StepKind.REST, StepKind.CHANGE):
            exercise = self.exercises[self.step.exercise_index or 0]
            lines = [f"{exercise.name}.", *exercise.instructions]
        self._enter(self.step_index, now + self._say_all(lines, now))

    def _pause(self, now: float) -> None:
        if self.paused_at is not None:
            self._say(self._announce or PAUSED, now)
            return
        self._interrupt(now)
        self.paused_at = now
        self._set_state(State.PAUSED, now, force=True)
        self._say(self._announce or PAUSED, now)

    def _ask_pain(self, now: float) -> None:
        """Maybe "too painful": stop and ask rather than carry on through pain."""
        self._announce = ASK_PAIN
        self._pause(now)

    def _resume(self, now: float) -> None:
        if self.paused_at is None:
            self._say(self._announce or NOT_PAUSED, now)
            return
        self.step_paused += now - self.paused_at
        self.paused_at = None
        self._restart_cue(now + self._say_all([self._announce or "Back to it."], now))

    def _skip(self, now: float) -> None:
        self._interrupt(now)
        index = self.step.exercise_index
        if index is None or self.step.kind == StepKind.INTRO:
            self._enter(self.step_index + 1, now)
            return
        self._abandon_set(now)
        if self.exercises[index].id not in self.exercises_done or self.step.kind == StepKind.CHANGE:
            self._exercise_done(now, skipped=True)
        following = [
            i
            for i, s in enumerate(self.steps)
            if s.kind == StepKind.EXERCISE and (s.exercise_index or 0) > index
        ]
        self._say("Okay.", now)
        self._enter(
            following[0] if following else len(self.steps), now + self.speech_seconds("Okay.")
        )

    def _end_by_command(self, now: float) -> None:
        self._interrupt(now)
        self._abandon_set(now)
        self._end("ended", now)

    def _answer(self, lines: list[str], now: float) -> None:
        """Say something, then carry on where we were (still paused if paused).

        The clock of a hold or count keeps running: only a line the answer cut off is said
        again, and the next line waits for the answer to end.
        """
        self._interrupt(now)
        took = self._say_all(lines, now)
        if self.paused_at is None:
            if self._hold_running(now):
                self._drop_stale_markers(now + took)
            elif self.cue_index and now < self._line_ends:
                self._restart_cue(now + took)
            else:
                self.due = max(self.due, now + took)

    def _is_marker(self, index: int) -> bool:
        """A hold's time marker ("Halfway.", "10 seconds left.", "3."): not its opening."""
        cues = self.step.cues
        return (
            0 < index < len(cues)
            and cues[index].state == State.HOLDING
            and cues[index - 1].state == State.HOLDING
        )

    def _hold_running(self, now: float) -> bool:
        """Inside a hold, its opening fully said: the hold's clock is running."""
        last = self.cue_index - 1
        if last < 0 or self.step.cues[last].state != State.HOLDING:
            return False
        return self._is_marker(last) or now >= self._line_ends

    def _drop_stale_markers(self, until: float) -> None:
        """Keep the hold on its clock: markers that fell due during an answer are out of date."""
        while self._is_marker(self.cue_index) and self.due < until:
            self.due += self.step.cues[self.cue_index].gap
            self.cue_index += 1
        self.due = max(self.due, until)

    def _change_tempo(self, factor: float, line: str, now: float) -> None:
        low, high = TEMPO_LIMITS
        self.tempo = min(high, max(low, self.tempo * factor))
        self._answer([line], now)

    def _pain(self, now: float) -> None:
        state = self.state
        self._interrupt(now)
        step = self.step
        exercise = None if step.exercise_index is None else self.exercises[step.exercise_index].id
        self._emit(PainReported(now, self.routine.id, exercise, step.set, state))
        self._abandon_set(now)
        self.paused_at = None
        fallback = self.routine.fallback
        if fallback and fallback not in self.played and fallback in self.library.routines:
            first = PAIN_IN_POSITION if step.kind == StepKind.SET else PAIN_AT_REST
            took = self._say_all([first, PAIN_SWITCH, DOCTOR], now)
            self._load(self.library.routines[fallback])
            self._emit(RoutineStarted(now + took, self.routine.id, self.routine.name, "pain"))
            self._enter(0, now + took)
        else:
            self._end("pain", now)

    # --- bookkeeping -------------------------------------------------------------------------

    def _interrupt(self, now: float) -> None:
        self._emit(Hush(now))

    def _abandon_set(self, now: float) -> None:
        if self.step.kind == StepKind.SET:
            self._set_done(now, completed=False)

    def _set_done(self, at: float, completed: bool) -> None:
        step = self.step
        if completed:
            self._finished_sets.add((step.exercise_index, step.set, step.side))
            self.sets_completed += 1
        worked = at - self.step_started - self.step_paused
        exercise = self.exercises[step.exercise_index or 0].id
        self._emit(
            SetDone(
                at,
                self.routine.id,
                exercise,
                step.set or 1,
                step.side,
                self.reps,
                round(worked, 3),
                completed,
            )
        )

    def _exercise_done(self, at: float, skipped: bool) -> None:
        index = self.step.exercise_index
        exercise = self.exercises[index or 0].id
        (self.exercises_skipped if skipped else self.exercises_done).append(exercise)
        sets = {(s.exercise_index, s.set, s.side) for s in self.steps if s.kind == StepKind.SET}
        mine = {key for key in sets if key[0] == index}
        completed = not skipped and mine <= self._finished_sets
        self._emit(ExerciseDone(at, self.routine.id, exercise, skipped, completed))

    def _end(self, reason: str, at: float) -> None:
        summary = self.summary_text(reason, at)
        lines = [PAIN_STOP, DOCTOR, summary] if reason == "pain" else [summary]
        took = self._say_all(lines, at)
        self.finished = True
        self.paused_at = None
        self._emit(StateChanged(at + took, State.FINISHED, self.routine.id))
        self._emit(
            SessionEnded(
                at + took,
                reason,
                summary,
                list(dict.fromkeys(self.exercises_done)),
                list(dict.fromkeys(self.exercises_skipped)),
            )
        )

    def summary_text(self, reason: str, at: float) -> str:
        """The closing line: praise only for work done, and never after pain."""
        minutes = max(1, round((at - self.started_at) / 60))
        # The routine's own exercises: a warm-up or cool-down done or passed over is not counted.
        main = {e.exercise for e in self.routine.exercises if e.part is None}
        done = len(set(self.exercises_done) & main)
        skipped = len(set(self.exercises_skipped) & main)
        time = f"about {minutes} minute{'s' if minutes != 1 else ''}"
        exercises = f"{done} exercise{'s' if done != 1 else ''}"
        if reason == "pain":
            if not done:
                return "Resting is the right call today."
            return f"You did {exercises} in {time} before we stopped. Rest well."
        opening = "That is the whole workout." if reason == "completed" else "We stop here."
        if not done and not self.sets_completed:
            return f"{opening} Nothing finished this time, and that is fine."
        text = f"{exercises} in {time}." if done else f"Some sets finished, in {time}."
        if skipped:
            text += f" {skipped} left out."
        return f"{opening} {text} Nice work."

    def position_text(self) -> str:
        """Where the session stands, in a few words: after a move made while paused."""
        step = self.step
        if step.exercise_index is None:
            return f"Now at the start of {self.routine.name}."
        exercise = self.exercises[step.exercise_index]
        name = exercise.name
        if step.kind == StepKind.SET:
            where = f", set {step.set} of {step.sets}" if step.sets and step.sets > 1 else ""
            side = f", {dict(exercise.sides_in_order())[step.side]}" if step.side else ""
            return f"Now at {name}{where}{side}."
        if step.kind == StepKind.CHANGE:
            return f"Now resting before {name}."
        if step.kind == StepKind.REST:
            return f"Now resting between sets of {name}."
        return f"Now at {name}."

    def status_text(self, now: float) -> str:
        """Where we are and what is left: in this set, this exercise and the workout."""
        step = self.step
        to_go = _to_go(self._seconds_left(now))
        if step.exercise_index is None:
            exercises = len(self.exercises)
            return f"We are starting {self.routine.name}: {exercises} exercises. {to_go}"
        exercise = self.exercises[step.exercise_index]
        where = exercise.name
        if step.set is not None and step.sets and step.sets > 1:
            where += f", set {step.set} of {step.sets}"
        parts = [f"{where}."]
        if step.kind == StepKind.SET and (in_set := self._left_in_set(now)):
            parts.append(in_set)
        sets_left = sum(
            1
            for s in self.steps[self.step_index + 1 :]
            if s.kind == StepKind.SET and s.exercise_index == step.exercise_index
        )
        plural = "s" if sets_left != 1 else ""
        if sets_left and step.kind == StepKind.SET:
            parts.append(f"Then {sets_left} more set{plural}.")
        elif sets_left:
            parts.append(f"{sets_left} set{plural} to do.")
        left = len(self.exercises) - step.exercise_index - 1
        if left:
            following = self.exercises[step.exercise_index + 1].name
            parts.append(f"{left} more exercise{'s' if left != 1 else ''}, next {following}.")
        else:
            parts.append("This is the last exercise.")
        return " ".join([*parts, to_go])

    def _left_in_set(self, now: float) -> str | None:
        """What is left of the set being done, or None when there is nothing to count."""
        cues = self.step.cues
        if self._state == State.HOLDING and self.step.exercise_index is not None:
            _, _, dosage = self.library.steps(self.routine)[self.step.exercise_index]
            if dosage.reps == 1:
                holding = [i for i, cue in enumerate(cues) if cue.state == State.HOLDING]
                rest = sum(cue.gap for cue in cues[self.cue_index : holding[-1] + 1])
                seconds = max(1, round(self.due - now + rest))
                return f"About {seconds} second{'s' if seconds != 1 else ''} left in this hold."
        total = max(cue.rep for cue in cues)
        if total > 1 and total > self.reps:
            left = total - self.reps
            return f"{left} rep{'s' if left != 1 else ''} left in this set."
        return None

    def _set_state(self, state: State, at: float, force: bool = False) -> None:
        step = self.step
        exercise = None if step.exercise_index is None else self.exercises[step.exercise_index].id
        report = (state, self.routine.id, exercise, step.set, step.sets, step.side, self.step_index)
        self._state = state if state != State.PAUSED else self._state
        if report != self._reported or force:
            self._reported = report
            self._emit(
                StateChanged(at, state, self.routine.id, exercise, step.set, step.sets, step.side)
            )

    def _say(self, text: str, at: float) -> None:
        if text:
            self._emit(Say(at, text, round(self.speech_seconds(text), 3)))

    def _quiet_from(self, now: float) -> float:
        """When the lines said so far in this reply end: the next line goes after them."""
        ends = [e.t + e.duration for e in self._out if isinstance(e, Say)]
        return max([now, *ends])

    def _say_all(self, lines: Iterable[str], at: float) -> float:
        """Say lines one after another from `at`; return how long they take."""
        took = 0.0
        for line in lines:
            self._say(line, at + took)
            took += self.speech_seconds(line)
        return took

    def _emit(self, event: Event) -> None:
        self._out.append(event)

    def _take(self) -> list[Event]:
        out, self._out = self._out, []
        return out


def _to_go(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "Less than a minute to go."
    return "About a minute to go." if minutes == 1 else f"About {minutes} minutes to go."


def planned_events(library: Library, routine: Routine) -> list[Event]:
    """Everything the session does when nobody says anything, played on a virtual clock."""
    session = Session(library, routine)
    events = session.start(0.0)
    while (due := session.next_due()) is not None:
        events += session.advance(due)
    return events


def planned_seconds(library: Library, routine: Routine) -> float:
    """How long the routine takes when nobody says anything."""
    events = planned_events(library, routine)
    return events[-1].t if events else 0.0
