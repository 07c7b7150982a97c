"""The protocol as plain, immutable data: what a study file declares after validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from diary.medication import DEFAULT_TABLE
from diary.protocol.durations import Duration
from diary.safety import Checklist

ENROLMENT = "enrolment"
"""The built-in event every participant has: its instant is the enrolment time."""

# What an assessment opens: a scored questionnaire, or one of the safety forms (issue 13).
QUESTIONNAIRE = "questionnaire"
SIDE_EFFECTS = "side_effects"        # the participant's side-effect checklist
ADVERSE_EVENTS = "adverse_events"    # the adverse-event form, entered by coordinators
FORMS = (SIDE_EFFECTS, ADVERSE_EVENTS)


@dataclass(frozen=True)
class Arm:
    key: str
    label: str


@dataclass(frozen=True)
class Sequence:
    """A crossover sequence: the treatment given in each period, in order."""

    key: str
    treatments: tuple[str, ...]


@dataclass(frozen=True)
class AnchorType:
    """An event type that starts clocks (surgery, infusion, dose).

    ``per_period`` anchors occur once in each crossover period; ``max_count`` bounds how
    many a participant may have (None: any number, e.g. repeated infusion courses).
    """

    key: str
    label: str
    per_period: bool = False
    max_count: int | None = 1


@dataclass(frozen=True)
class LateEntry:
    """Entries for diary date D are accepted until wall time ``until`` on D + ``days_after``."""

    days_after: int
    until: time


@dataclass(frozen=True)
class DailyDiary:
    """The daily diary span: days ``from_day``..``to_day`` relative to each ``anchor``."""

    measure: str
    anchor: str
    from_day: int
    to_day: int
    late_entry: LateEntry


@dataclass(frozen=True)
class Repeat:
    every: Duration
    count: int


@dataclass(frozen=True)
class Window:
    """Tolerance around an assessment's target, as signed offsets from it."""

    open: Duration
    close: Duration


@dataclass(frozen=True)
class Assessment:
    """An instrument due at ``anchor`` + ``offset`` (+ k * ``repeat.every``), within ``window``.

    ``key`` identifies the assessment across protocol versions: instance ids hash it.
    ``form`` is ``questionnaire`` or one of ``FORMS`` (then ``instrument`` is the form's
    name too, so a window always names what it asks for).
    """

    key: str
    instrument: str
    anchor: str
    offset: Duration
    window: Window
    repeat: Repeat | None = None
    label: str = ""
    form: str = QUESTIONNAIRE

    @property
    def occurrences(self) -> int:
        return self.repeat.count if self.repeat else 1


@dataclass(frozen=True)
class Reminders:
    daily_time: time = time(20, 0)
    nudge_after: Duration | None = None
    window_open: bool = True
    window_closing_before: Duration | None = None
    missed_days_alert: int | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


@dataclass(frozen=True)
class ScreeningRule:
    """Eligibility on a questionnaire score, e.g. DN4 total >= 4."""

    instrument: str
    scale: str
    op: str  # one of > >= < <= ==
    value: float

    def passes(self, score: float | None) -> bool:
        if score is None:
            return False
        return {">": score > self.value, ">=": score >= self.value,
                "<": score < self.value, "<=": score <= self.value,
                "==": score == self.value}[self.op]

    def __str__(self) -> str:
        return f"{self.instrument} {self.scale} {self.op} {self.value:g}"


BLINDING = ("double", "single", "open")
"""Who is blind to the allocation: ``double`` participants and staff (staff see masked
codes unless granted ``unblinded``), ``single`` participants only, ``open`` nobody.
Participants never see their arm, sequence or treatment, whatever the protocol says."""


@dataclass(frozen=True)
class Randomisation:
    """How enrolment assigns the arm or sequence: named by the coordinator (``manual``)
    or taken from the next free slot of a concealed allocation list (``list``), one list
    per combination of the ``stratify_by`` factors (only ``site`` so far)."""

    method: str = "manual"
    stratify_by: tuple[str, ...] = ()

    @property
    def from_list(self) -> bool:
        return self.method == "list"


@dataclass(frozen=True)
class QuestionnaireAlias:
    """Another app's Questionnaire canonical (any version) that stands for one of our
    instruments; ``link_ids`` maps that app's linkIds to our item ids or scale ids (a
    client-calculated total), for apps whose linkIds are neither ours nor LOINC codes;
    ``answer_system``/``answer_codes`` read the app's own answer codes."""

    canonical: str
    instrument: str
    link_ids: dict[str, str] = field(default_factory=dict)
    # The app's own answer code system and what each code scores (e.g. the SDC guide's
    # CSPHQ9 "Not-at-all" = 0), for apps that do not code answers with LOINC.
    answer_system: str | None = None
    answer_codes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FhirIntake:
    """How the FHIR QuestionnaireResponse intake treats this study's responses (issue 18)."""

    # "refuse" an in-progress response (default), or store it as "partial".
    in_progress: str = "refuse"
    questionnaire_aliases: tuple[QuestionnaireAlias, ...] = ()


@dataclass(frozen=True)
class Protocol:
    key: str
    title: str
    timezone: str
    design: str  # "parallel" | "crossover" | "single_group"
    version_label: str = ""
    sites: tuple[str, ...] = ()
    arms: tuple[Arm, ...] = ()
    treatments: tuple[Arm, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    anchors: tuple[AnchorType, ...] = ()
    daily_diary: DailyDiary | None = None
    assessments: tuple[Assessment, ...] = ()
    reminders: Reminders = field(default_factory=Reminders)
    endpoints: tuple[Any, ...] = ()  # scoring.spec.EndpointSpec, validated
    languages: tuple[str, ...] = ("en",)
    screening: tuple[ScreeningRule, ...] = ()
    # What happens to a questionnaire response outside every window: kept and marked
    # "unscheduled"/"out_of_window" (accept), or refused (refuse).
    outside_windows: str = "accept"
    # Issue 17: actions that need an electronic signature -> accepted meanings (empty:
    # any stated meaning); diary/protocol/signature_sections.py
    signatures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Licensed wording supplied by the study: instrument -> language -> item id (or
    # <item>.<code> for an answer option) -> text
    instrument_texts: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Scoring options the study chose: instrument -> keyword arguments of its scorer
    # (scoring.instruments.options), e.g. {"eq5d5l": {"value_set": ValueSet(...)}}.
    instrument_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Issue 6: the pinned MME conversion table and the side-effect checklist.
    medication_table: str = DEFAULT_TABLE
    # Issue 16: the protocol has a ``medication:`` section (a medication diary): MED texts
    # are accepted and HELP mentions them.
    medication_diary: bool = False
    side_effects: Checklist = field(default_factory=Checklist)
    # Issue 13: blinding (default: double for parallel and crossover, open otherwise) and
    # how arms or sequences are assigned at enrolment.
    blinding: str = "double"
    randomisation: Randomisation = field(default_factory=Randomisation)
    fhir: FhirIntake = field(default_factory=FhirIntake)

    @property
    def staff_blinded(self) -> bool:
        """Whether staff without the ``unblinded`` grant see masked codes."""
        return self.blinding == "double"

    @property
    def periods(self) -> int:
        """Number of crossover periods (1 for other designs)."""
        return len(self.sequences[0].treatments) if self.sequences else 1

    def anchor(self, key: str) -> AnchorType | None:
        return next((a for a in self.anchors if a.key == key), None)

    def sequence(self, key: str) -> Sequence | None:
        return next((s for s in self.sequences if s.key == key), None)

    def arm(self, key: str) -> Arm | None:
        return next((a for a in self.arms if a.key == key), None)

    def assessment(self, key: str) -> Assessment | None:
        return next((a for a in self.assessments if a.key == key), None)
