"""The one-page HTML report of a simulation: Jinja, texts through the message catalogs
(``web/translations``, as the dashboard), the mean figure inlined so the page opens
anywhere on its own."""

from __future__ import annotations

import base64
import csv
from pathlib import Path

import jinja2

from .outputs import percent
from .stats import Difference

TEMPLATES = Path(__file__).parent / "templates"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"


def _environment(locale: str) -> jinja2.Environment:
    from babel.support import Translations

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(Translations.load(str(TRANSLATIONS), [locale]),
                                     newstyle=True)
    return env


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def primary_rows(out: Path, key: str) -> list[dict]:
    summary = read_csv(out / "endpoints" / f"{key}_summary.csv")
    return [r for r in summary if r.get("primary") == "Y"]


def difference_view(d: Difference | None, test: str) -> dict | None:
    if d is None or d.estimate is None:
        return None
    return {"contrast": d.contrast, "estimate": f"{d.estimate:.1f}",
            "p": "= NA" if d.p_value is None else "< 0.001" if d.p_value < 0.001
            else f"= {d.p_value:.3f}", "test": test}


def render_report(trial, out: Path, *, traffic, compliance, primary_key: str,
                  difference: Difference | None, replicates: dict | None,
                  models_digest: str, locale: str = "en") -> Path:
    p = trial.protocol
    rows = primary_rows(out, trial.key)
    figure = out / "figures" / f"{trial.key}_mean.png"
    context = {
        "locale": locale,
        "study": {"key": p.key, "title": p.title, "version": p.version_label or "1",
                  "design": p.design, "participants": len(trial.people),
                  "sites": ", ".join(p.sites), "seed": trial.seed, "models": models_digest,
                  "start": trial.started.astimezone(trial.tz).date().isoformat(),
                  "end": trial.ended.astimezone(trial.tz).date().isoformat()},
        "primary": {"key": primary_key,
                    "rows": [{"treatment": r.get("treatment_name") or r.get("treatment"),
                              "report": r.get("report") or r.get("mean_sd") or ""}
                             for r in rows],
                    "difference": difference_view(
                        difference, "paired t-test" if p.design == "crossover"
                        else "Welch t-test")},
        "replicates": replicates,
        "compliance": {
            "overall": compliance.overall, "overall_percent": percent(compliance.overall),
            "sites": [(k, v, percent(v)) for k, v in sorted(compliance.by_site.items())],
            "groups": [(k, v, percent(v)) for k, v in sorted(compliance.by_group.items())]},
        "traffic": {"kinds": [(k, traffic.per_kind[k], traffic.segments_per_kind[k])
                              for k in sorted(traffic.per_kind)],
                    "replies": traffic.replies, "reply_segments": traffic.reply_segments,
                    "peak": traffic.peak_minute, "cost": f"{traffic.cost:.2f}",
                    "price": f"{traffic.price:.4f}"},
        "actions": sorted(trial.counts.items()),
        "refusals": len(trial.refusals),
        "figure": base64.b64encode(figure.read_bytes()).decode() if figure.exists() else "",
    }
    html = _environment(locale).get_template("report.html").render(**context)
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
