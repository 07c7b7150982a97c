"""Every text of the participant app, by key: the English source of its message catalogs.

The app's JavaScript shows only ``t("key")`` texts; ``pybabel extract`` collects the
``N_()`` strings below into ``translations/app.pot`` and each language's ``app.po`` holds
its translation (README, "The participant's app"). ``{name}`` placeholders are filled in
by the app and must survive translation (a test checks every catalog).
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802  (the gettext marker pybabel looks for)
    """Mark ``text`` for extraction; translation happens when a catalog is served."""
    return text


MESSAGES: dict[str, str] = {
    # the app and its navigation
    "app.name": N_("Pain diary"),
    "app.short_name": N_("Pain diary"),
    "app.description": N_("Your daily pain diary for the study"),
    "app.noscript": N_("This diary needs JavaScript. Please turn it on, or answer by SMS."),
    "app.loading": N_("Loading…"),
    "app.skip": N_("Skip to the content"),
    "nav.label": N_("Sections"),
    "nav.today": N_("Today"),
    "nav.history": N_("History"),
    "nav.settings": N_("Settings"),
    # activation
    "activate.title": N_("Start your diary"),
    "activate.intro": N_("Type the activation code your study team gave you, or scan the "
                         "QR code they show you."),
    "activate.code": N_("Activation code"),
    "activate.code_hint": N_("For example K7PQ-2M4X-9ABC"),
    "activate.submit": N_("Start"),
    "activate.working": N_("Checking the code…"),
    "activate.error.401": N_("This code is not known. Check it and try again."),
    "activate.error.403": N_("This code was already used or has expired. Ask your study "
                             "team for a new one."),
    "activate.error.429": N_("Too many attempts. Please wait a few minutes and try again."),
    "activate.error.network": N_("No connection. Activation needs the internet."),
    "activate.error.empty": N_("Please type your activation code."),
    # the status bar: network and queue
    "status.offline": N_("You are offline. What you enter is kept on this phone."),
    "status.waiting.one": N_("1 answer is waiting to be sent."),
    "status.waiting.other": N_("{count} answers are waiting to be sent."),
    "status.send_now": N_("Send now"),
    "status.refused": N_("Not accepted by the study: {message}"),
    "status.discard": N_("Remove"),
    "status.withdrawn": N_("You have left the study. Thank you for taking part."),
    "status.signed_out": N_("This phone is no longer connected to the study. Please "
                            "activate it again."),
    "kind.pain": N_("Pain {score} on {date}"),
    "kind.questionnaire": N_("Questionnaire: {name}"),
    "kind.medication": N_("Medication: {drug} {dose} {unit}"),
    "kind.side_effects": N_("Side effects on {date}"),
    # today: pain
    "today.title": N_("Today, {date}"),
    "pain.question": N_("How strong was your pain today?"),
    "pain.scale_hint": N_("0 = no pain, 10 = worst pain imaginable"),
    "pain.low": N_("No pain"),
    "pain.high": N_("Worst pain imaginable"),
    "pain.confirm": N_("Your pain: {score} out of 10. Save it?"),
    "pain.save": N_("Save"),
    "pain.change": N_("Change"),
    "pain.saved": N_("Saved: pain {score} on {date}."),
    "pain.queued": N_("Kept on this phone: pain {score} on {date}. It will be sent when "
                      "you are online."),
    "pain.done": N_("Today's pain is recorded: {score} out of 10."),
    "pain.done_queued": N_("Today's pain, {score} out of 10, is kept on this phone until "
                           "it can be sent."),
    "pain.correct": N_("Correct this day"),
    "pain.not_due": N_("No pain score is asked for today."),
    "pain.other_day": N_("Fill in another day"),
    "pain.other_day_date": N_("Day"),
    "pain.other_day_hint": N_("A day that is still open; your study says how many days "
                              "back you can fill in."),
    "pain.choose_day": N_("Choose this day"),
    "pain.for_day": N_("Pain on {date}"),
    "correction.reason": N_("Why are you changing this answer?"),
    "correction.reason_needed": N_("Please say why you are changing this answer."),
    "correction.existing": N_("This day already has a score ({score}). A change needs "
                              "a reason."),
    # today: questionnaires
    "q.title": N_("Questionnaires"),
    "q.none": N_("No questionnaire is open."),
    "q.open_until": N_("Open until {date}"),
    "q.start": N_("Answer: {name}"),
    "q.submit": N_("Send my answers"),
    "q.missing": N_("Please answer every question ({count} left)."),
    "q.number_range": N_("A whole number from {min} to {max}"),
    "q.minutes": N_("in minutes"),
    "q.check_numbers": N_("Please check the numbers: each must be a whole number within "
                          "its range."),
    "q.done": N_("Answered. Thank you."),
    "q.answered": N_("Answered."),
    "q.change": N_("Change my answers"),
    "q.unavailable": N_("This questionnaire cannot be shown offline. Please connect once "
                        "to load it."),
    # today: side effects
    "se.title": N_("Side effects today"),
    "se.intro": N_("Did you have any of these today? Choose one answer for each."),
    "se.severity.0": N_("None"),
    "se.severity.1": N_("Mild"),
    "se.severity.2": N_("Moderate"),
    "se.severity.3": N_("Severe"),
    "se.all_none": N_("None of these"),
    "se.other": N_("Anything else? (optional)"),
    "se.submit": N_("Send side effects"),
    "se.done": N_("Side effects sent for today. Thank you."),
    "se.answered": N_("Today's side effects are sent."),
    "se.change": N_("Change today's answers"),
    # today: medication
    "med.title": N_("Pain medication"),
    "med.intro": N_("Note each pain medicine you took."),
    "med.drug": N_("Medicine"),
    "med.drug_hint": N_("Start typing its name"),
    "med.no_match": N_("No medicine of the study's list matches. Check the spelling."),
    "med.route": N_("How it was taken"),
    "med.dose": N_("Dose"),
    "med.unit": N_("Unit"),
    "med.taken_at": N_("When you took it"),
    "med.rescue": N_("Extra dose for breakthrough pain (rescue)"),
    "med.submit": N_("Add this medicine"),
    "med.saved": N_("Medicine added: {drug} {dose} {unit}."),
    "med.dose_needed": N_("Please give the dose as a number, for example 7.5."),
    "med.recent": N_("Recently noted"),
    "med.recent_item": N_("{drug} {dose} {unit}, {when}"),
    "med.correct": N_("Correct"),
    "med.correct_item": N_("Correct {drug} {dose} {unit}, {when}"),
    "med.correcting": N_("Correcting {drug} {dose} {unit}, {when}:"),
    "med.save_correction": N_("Save the correction"),
    "med.cancel": N_("Cancel"),
    "med.corrected": N_("Medicine corrected: {drug} {dose} {unit}."),
    "route.oral": N_("By mouth"),
    "route.transdermal": N_("Skin patch"),
    "route.intravenous": N_("Into a vein"),
    "route.subcutaneous": N_("Under the skin"),
    "route.intramuscular": N_("Into a muscle"),
    "route.sublingual": N_("Under the tongue"),
    "route.buccal": N_("In the cheek"),
    "route.intranasal": N_("In the nose"),
    "route.rectal": N_("Rectal"),
    # history
    "history.title": N_("Your pain over the last weeks"),
    "history.chart": N_("Daily pain, 0 to 10, by date"),
    "history.empty": N_("No pain scores yet."),
    "history.table": N_("Show as a table"),
    "history.date": N_("Date"),
    "history.score": N_("Pain"),
    "history.offline": N_("Connect to the internet to see your history."),
    # settings
    "settings.title": N_("Settings"),
    "settings.language": N_("Language"),
    "settings.study": N_("Study: {title}"),
    "settings.subject": N_("Participant number: {subject}"),
    "settings.reminder": N_("Evening reminder"),
    "settings.reminder_hint": N_("If today's pain is not recorded yet, the study reminds you "
                                 "at this time."),
    "settings.reminder_save": N_("Save the reminder time"),
    "settings.reminder_default": N_("Use the study's time"),
    "settings.reminder_saved": N_("Reminder time saved: {time}."),
    "settings.reminder_offline": N_("Changing the reminder time needs the internet."),
    "settings.install": N_("Add this diary to your home screen from your browser's menu "
                           "to open it like an app."),
    "settings.sign_out": N_("Disconnect this phone"),
    "settings.sign_out_confirm": N_("Disconnect this phone from the study? Answers not "
                                    "yet sent will be lost."),
    # errors
    "error.generic": N_("Something went wrong. Please try again."),
    "error.server": N_("The study server did not accept this: {message}"),
}

# The languages the app ships, each named in its own language for the switch.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "nl": "Nederlands",
                             "es": "Español"}
