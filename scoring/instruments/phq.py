"""PHQ-9 (depression) and GAD-7 (anxiety), from the Patient Health Questionnaire family.

Items 0-3 ("not at all" .. "nearly every day") over the last two weeks.  Both
are free to use ("No permission required to reproduce, translate, display or
distribute"), so the English wording is shipped.  LOINC codes were checked
against public LOINC-coded Questionnaires (LHNCBC lforms test data); GAD-7
item 2 codes the value 2 as LA18938-3.  PHQ-9 item 10 (difficulty) is not scored.

Missing items: the published totals are sums of all items (Kroenke 2001;
Spitzer 2006), so by default any missing item leaves the total unscored.  A
study may allow ``max_missing=1``: the mean of the answered items times the
item count, rounded half up.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import (
    Answers,
    Band,
    Instrument,
    InstrumentScore,
    Item,
    Option,
    Scale,
)

__all__ = ["GAD7", "PHQ9", "score_gad7", "score_phq9"]

_FREQ = ("Not at all", "Several days", "More than half the days", "Nearly every day")
_FREQ_LOINC = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def _options(*, value2: str = "LA6570-1") -> tuple[Option, ...]:
    codes = (*_FREQ_LOINC[:2], value2, _FREQ_LOINC[3])
    pairs = enumerate(zip(_FREQ, codes, strict=True))
    return tuple(Option(k, label, code) for k, (label, code) in pairs)


_PHQ9_ITEMS = (
    ("44250-9", "Little interest or pleasure in doing things"),
    ("44255-8", "Feeling down, depressed, or hopeless"),
    ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    ("44254-1", "Feeling tired or having little energy"),
    ("44251-7", "Poor appetite or overeating"),
    ("44258-2", "Feeling bad about yourself - or that you are a failure or have let "
                "yourself or your family down"),
    ("44252-5", "Trouble concentrating on things, such as reading the newspaper or "
                "watching television"),
    ("44253-3", "Moving or speaking so slowly that other people could have noticed? Or the "
                "opposite - being so fidgety or restless that you have been moving around a "
                "lot more than usual"),
    ("44260-8", "Thoughts that you would be better off dead or of hurting yourself in some way"),
)
_DIFFICULTY = (
    "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"
)
# LOINC answer list of 69722-7 (LL358-3), as NLM's LOINC PHQ-9 in LHNCBC lforms and the HL7
# SDC guide's translated PHQ-9 code it: "Very" is LA6575-0 and "Extremely" LA6574-3 (not in
# numeric order; some third-party copies swap them).
_DIFFICULTY_LOINC = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")

PHQ9 = Instrument(
    id="phq9",
    name="Patient Health Questionnaire-9",
    version="1",
    reference=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613."
    ),
    licence="free",
    items=tuple(
        Item(f"phq9_{n}", text, options=_options(), loinc=code)
        for n, (code, text) in enumerate(_PHQ9_ITEMS, start=1)
    )
    + (
        Item(
            "phq9_10",
            "If you checked off any problems, how difficult have these problems made it for "
            "you to do your work, take care of things at home, or get along with other people?",
            options=tuple(Option(k, label, code) for k, (label, code)
                          in enumerate(zip(_DIFFICULTY, _DIFFICULTY_LOINC, strict=True))),
            loinc="69722-7",
            scored=False,
        ),
    ),
    scales=(Scale("total", "PHQ-9 total", tuple(f"phq9_{n}" for n in range(1, 10)), 0, 27,
                  loinc="44261-6"),),
    bands=tuple(
        Band("total", cut, label)
        for cut, label in ((0, "minimal"), (5, "mild"), (10, "moderate"),
                           (15, "moderately severe"), (20, "severe"))
    ),
    missing_rule="Sum of items 1-9; any missing item leaves it unscored (or max_missing=1).",
    coding="Item score 0-3 as printed (0 = not at all ... 3 = nearly every day).",
    loinc="44249-1",
)

_GAD7_ITEMS = (
    ("69725-0", "Feeling nervous, anxious, or on edge"),
    ("68509-9", "Not being able to stop or control worrying"),
    ("69733-4", "Worrying too much about different things"),
    ("69734-2", "Trouble relaxing"),
    ("69735-9", "Being so restless that it is hard to sit still"),
    ("69689-8", "Becoming easily annoyed or irritable"),
    ("69736-7", "Feeling afraid, as if something awful might happen"),
)

GAD7 = Instrument(
    id="gad7",
    name="Generalized Anxiety Disorder-7",
    version="1",
    reference=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097."
    ),
    licence="free",
    items=tuple(
        Item(f"gad7_{n}", text, loinc=code,
             options=_options(value2="LA18938-3") if n == 2 else _options())
        for n, (code, text) in enumerate(_GAD7_ITEMS, start=1)
    ),
    scales=(Scale("total", "GAD-7 total", tuple(f"gad7_{n}" for n in range(1, 8)), 0, 21,
                  loinc="70274-6"),),
    bands=tuple(
        Band("total", cut, label)
        for cut, label in ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
    ),
    missing_rule="Sum of items 1-7; any missing item leaves it unscored (or max_missing=1).",
    coding="Item score 0-3 as printed (0 = not at all ... 3 = nearly every day).",
    loinc="69737-5",
)


def score_phq9(answers: Answers, *, max_missing: int = 0) -> InstrumentScore:
    """Score a PHQ-9 response.

    Parameters
    ----------
    answers : mapping of ``phq9_1`` .. ``phq9_10`` to 0-3 or None
    max_missing : int, keyword-only
        Missing items to prorate (0, the published sum, or 1: mean * 9, half up).

    Returns
    -------
    InstrumentScore
        ``total`` 0-27 with bands 0-4 minimal, 5-9 mild, 10-14 moderate,
        15-19 moderately severe, 20-27 severe (Kroenke 2001).

    Examples
    --------
    >>> r = score_phq9({f"phq9_{n}": v for n, v in enumerate([1, 2, 0, 3, 1, 0, 2, 1, 0], 1)})
    >>> r["total"].value, r["total"].band  # 1+2+0+3+1+0+2+1+0
    (10, 'moderate')
    >>> score_phq9({"phq9_1": 3}).values
    {'total': None}
    """
    given = PHQ9.check(answers)
    return rules.result(PHQ9, given, [rules.total(PHQ9, "total", given, max_missing=max_missing)])


def score_gad7(answers: Answers, *, max_missing: int = 0) -> InstrumentScore:
    """Score a GAD-7 response.

    Parameters
    ----------
    answers : mapping of ``gad7_1`` .. ``gad7_7`` to 0-3 or None
    max_missing : int, keyword-only
        Missing items to prorate (0, the published sum, or 1: mean * 7, half up).

    Returns
    -------
    InstrumentScore
        ``total`` 0-21 with bands 0-4 minimal, 5-9 mild, 10-14 moderate,
        15-21 severe (Spitzer 2006).

    Examples
    --------
    >>> r = score_gad7({f"gad7_{n}": 2 for n in range(1, 8)})
    >>> r["total"].value, r["total"].band  # 7*2
    (14, 'moderate')
    """
    given = GAD7.check(answers)
    return rules.result(GAD7, given, [rules.total(GAD7, "total", given, max_missing=max_missing)])
