"""Numbers and amounts as a coach says them: "three sets", "ten-second holds"."""

ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(value: float) -> str:
    """0 to 999 in words; halves as "and a half", other fractions to one decimal."""
    whole = int(value)
    rest = round(value - whole, 1)
    if rest == 0.5:
        return f"{_integer(whole)} and a half"
    if rest in (0.0, 1.0):
        return _integer(round(value))
    return f"{_integer(whole)} point {_integer(round(rest * 10))}"


def _integer(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{ONES[hundreds]} hundred" + (f" and {_integer(rest)}" if rest else "")
    return str(n)


def amount(field: str, value: float) -> str:
    """One progression field's value as a phrase: "one set", "twelve reps", "ten-second holds"."""
    words = number_words(value)
    if field == "hold_seconds":
        return f"{words}-second holds"
    unit = {"sets": "set", "reps": "rep"}[field]
    return f"{words} {unit}" if value == 1 else f"{words} {unit}s"


def exercise_phrase(name: str) -> str:
    """ "Bird dog" -> "bird dog", to follow "The"; names that look like acronyms keep their case."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name
