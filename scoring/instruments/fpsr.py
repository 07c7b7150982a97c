"""Faces Pain Scale - Revised (FPS-R), Hicks et al. 2001: one item, six faces.

The faces are scored 0, 2, 4, 6, 8 and 10 from left ("no pain") to right ("very
much pain"), so the score sits on the common 0-10 metric; any other value
(1, 3, 5, ...) is refused, since no face carries it.  The scale, its faces and
its instructions are copyrighted by the International Association for the Study
of Pain (IASP), free for non-commercial clinical and research use: we ship
neutral labels; the study supplies the licensed wording and the app shows the
IASP faces.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import Answers, Instrument, InstrumentScore, Item, Option, Scale

__all__ = ["FACE_SCORES", "FPS_R", "score"]

#: Published scores of the six faces, left to right (Hicks et al. 2001).
FACE_SCORES = (0, 2, 4, 6, 8, 10)

FPS_R = Instrument(
    id="fps_r",
    name="Faces Pain Scale - Revised",
    version="1",
    reference=(
        "Hicks CL, von Baeyer CL, Spafford PA, van Korlaar I, Goodenough B. The Faces Pain "
        "Scale-Revised: toward a common metric in pediatric pain measurement. "
        "Pain 2001;93:173-183."
    ),
    licence="licensed",
    items=(
        Item(
            "fps_r",
            "FPSR item 1",
            options=tuple(
                Option(s, f"FPSR item 1, face {pos} (scores {s})")
                for pos, s in enumerate(FACE_SCORES, start=1)
            ),
        ),
    ),
    scales=(Scale("pain", "FPS-R pain intensity", ("fps_r",), 0, 10),),
    missing_rule="Single item: unanswered means no score.",
    coding="The chosen face's score: 0, 2, 4, 6, 8 or 10 counting faces from the left.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score an FPS-R response.

    Parameters
    ----------
    answers : mapping ``{"fps_r": 0, 2, 4, 6, 8, 10 or None}``

    Returns
    -------
    InstrumentScore
        Scale ``pain``: the face's score (0-10), or ``None`` when unanswered.

    Examples
    --------
    >>> score({"fps_r": 6})["pain"].value
    6
    >>> score({"fps_r": 5})
    Traceback (most recent call last):
    ...
    scoring.instruments.model.InvalidAnswers: invalid answers for fps_r: fps_r: 5 is out \
of range; must be one of 0, 2, 4, 6, 8, 10
    """
    given = FPS_R.check(answers)
    return rules.result(FPS_R, given, [rules.item_value(FPS_R, "pain", given)])
