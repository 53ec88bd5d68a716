"""The monthly report (考评月报) for the street office: the month's figures as tables and charts.

Flagged estates (satisfaction under 60 %: the manager is called in) come first, then the
station's figures beside last month's, then every estate, then charts of satisfaction by
estate (with the 60 % line), tickets by kind and by source. The figures are
``services.evaluation.monthly``'s, so the report and the dashboard never disagree.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reportlab.graphics import shapes
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph

from redstation.domain.vocab import TICKET_KINDS, TICKET_SOURCES, label
from redstation.i18n import N_, _
from redstation.printing.document import ALERT, STYLES, Document, coloured, text_markup
from redstation.printing.fonts import FONT, register_fonts
from redstation.services import evaluation
from redstation.services.session import Session

STAGES = {"onsite": N_("On site in time"), "resolve": N_("Solved in time"), "plan": N_("Plan in time")}
BAR = colors.HexColor("#a8201a")
BAR_MUTED = colors.HexColor("#9a9a9a")


def percent(value: float | None) -> str:
    return "—" if value is None else "{v:.1f}%".format(v=value * 100)


def change_text(current, previous, *, rate: bool) -> str:
    """+3.2 个百分点 / -5 / —."""
    delta = evaluation.change(current, previous)
    if delta is None:
        return "—"
    if rate:
        return _("{sign}{value:.1f} points").format(sign="+" if delta >= 0 else "-", value=abs(delta) * 100)
    return "{sign}{value:g}".format(sign="+" if delta >= 0 else "-", value=abs(round(delta, 1)))


def _rows(figures: dict) -> list[tuple[str, object, bool]]:
    """(label, value, is a rate) of the figures the report compares with last month."""
    answers = figures["satisfaction"]
    rows = [(_("Satisfaction rate"), answers["rate"], True), (_("Answers"), answers["answered"], False)]
    rows += [(label(STAGES, stage), figures["on_time"][stage]["rate"], True) for stage in STAGES]
    rows += [(_("Key households visited on time"), figures["coverage"]["rate"], True),
             (_("Tickets"), figures["tickets"]["total"], False),
             (_("Volunteer hours"), figures["volunteers"]["hours"], False),
             (_("Volunteer activities"), figures["volunteers"]["activities"], False),
             (_("Meetings held"), figures["meetings"]["held"], False),
             (_("Follow-up actions closed"), figures["meetings"]["actions_closed"], False)]
    return rows


def _value(value, is_rate: bool) -> str:
    if is_rate:
        return percent(value)
    return "{v:g}".format(v=value) if isinstance(value, float) else str(value)


def _chart_font() -> None:
    """Charts start drawing in reportlab's default Helvetica, which is not embedded: start them in ours."""
    register_fonts()
    shapes.STATE_DEFAULTS["fontName"] = FONT


def bar_chart(title: str, names: list[str], values: list[float], width: float, *, percent_axis: bool = False,
              line_at: float | None = None, highlight: set[int] = frozenset()) -> Drawing:
    """A bar chart with Chinese labels; ``line_at`` draws a dashed line (the 60 % mark)."""
    _chart_font()
    height = 62 * mm
    drawing = Drawing(width, height)
    drawing.add(String(width / 2, height - 5 * mm, title, fontName=FONT, fontSize=10, textAnchor="middle"))
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = width - 20 * mm, height - 26 * mm
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = names or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(names) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(names) > 6 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    if percent_axis:
        chart.valueAxis.valueMax = 100
        chart.valueAxis.valueStep = 20
        chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    for index in highlight:
        chart.bars[(0, index)].fillColor = colors.HexColor(ALERT)
    chart.barLabelFormat = "%d%%" if percent_axis else "%g"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 5
    drawing.add(chart)
    if line_at is not None:
        y = chart.y + chart.height * line_at / (chart.valueAxis.valueMax or 1)
        drawing.add(Line(chart.x, y, chart.x + chart.width, y, strokeColor=colors.HexColor(ALERT), strokeWidth=0.8,
                         strokeDashArray=[3, 2]))
        drawing.add(String(chart.x - 2, y - 2.5, "60%", fontName=FONT, fontSize=7, textAnchor="end",
                           fillColor=colors.HexColor(ALERT)))
    return drawing


def monthly_report(session: Session, month: str, out_path: str | Path, *, now: datetime | None = None) -> dict:
    """Print the month's report; returns {pages, estates, flagged}."""
    session.require("print.monthly_report")
    station = session.require_station()
    result = evaluation.monthly(session.conn, month, now=now)
    start = datetime.fromisoformat(result["start"])
    title = _("Monthly evaluation report")
    month_text = _("{year} year {month} month").format(year=start.year, month=start.month)
    doc = Document(title, station=station["name"], period=month_text)
    lines = [_("{station}, {community} · {month}").format(station=station["name"], community=station["community"],
                                                          month=month_text)]
    if result["partial"]:
        lines.append(_("The month is not over: figures up to {time}").format(
            time=(now or datetime.now()).strftime("%Y-%m-%d %H:%M")))
    doc.title_block(_("Red-property evaluation report"), *lines)

    estates = result["estates"]
    previous = result["previous"]["estates"]
    doc.paragraph(_("1. Estates to be called in (satisfaction under 60%)"), "body")
    if result["flagged"]:
        doc.table([_("Estate"), _("Satisfaction rate"), _("Answers"), _("Dissatisfied"), _("Last month")],
                  [[name, coloured(percent(estates[name]["satisfaction"]["rate"])), estates[name]["satisfaction"]["answered"],
                    estates[name]["satisfaction"]["dissatisfied"],
                    percent(previous.get(name, {}).get("satisfaction", {}).get("rate"))] for name in result["flagged"]],
                  widths=[3, 2, 1.5, 1.5, 2], centred=(1, 2, 3, 4))
    else:
        doc.paragraph(_("No estate is under 60% satisfaction this month."), "body")
    doc.space(4)

    doc.paragraph(_("2. The station this month and last month"), "body")
    now_rows, before_rows = _rows(result["station"]), _rows(result["previous"]["station"])
    doc.table([_("Figure"), _("This month"), _("Last month"), _("Change")],
              [[name, _value(value, is_rate), _value(before, is_rate), change_text(value, before, rate=is_rate)]
               for (name, value, is_rate), (_name, before, _r) in zip(now_rows, before_rows)],
              widths=[4, 2, 2, 2], centred=(1, 2, 3))
    doc.space(4)

    if result["stations"]:  # a street office: each station's own figures, then the estates of all of them
        stations = result["stations"]
        doc.paragraph(_("Each station"), "body")
        doc.table([_("Station"), _("Satisfaction"), label(STAGES, "onsite"), label(STAGES, "resolve"), _("Visited on time"),
                   _("Tickets"), _("Volunteer hours"), _("Meetings"), _("Estates called in")],
                  [[name, percent(data["satisfaction"]["rate"]), percent(data["on_time"]["onsite"]["rate"]),
                    percent(data["on_time"]["resolve"]["rate"]), percent(data["coverage"]["rate"]), data["tickets"]["total"],
                    _value(data["volunteers"]["hours"], False), data["meetings"]["held"],
                    coloured(_("yes")) if data["flagged"] else ""] for name, data in sorted(stations.items())],
                  widths=[3.2, 1.5, 1.5, 1.5, 1.5, 1.1, 1.4, 1.1, 1.4], centred=(1, 2, 3, 4, 5, 6, 7, 8))
        doc.space(4)
    doc.paragraph(_("3. Each estate"), "body")
    order = result["flagged"] + sorted(name for name in estates if name not in result["flagged"])
    doc.table([_("Estate"), _("Satisfaction"), label(STAGES, "onsite"), label(STAGES, "resolve"),
               _("Visited on time"), _("Tickets"), _("Volunteer hours"), _("Meetings"), _("Mark")],
              [[name, percent(estates[name]["satisfaction"]["rate"]), percent(estates[name]["on_time"]["onsite"]["rate"]),
                percent(estates[name]["on_time"]["resolve"]["rate"]), percent(estates[name]["coverage"]["rate"]),
                estates[name]["tickets"]["total"], _value(estates[name]["volunteers"]["hours"], False),
                estates[name]["meetings"]["held"], coloured(_("call in")) if estates[name]["flagged"] else ""]
               for name in order],
              widths=[3, 1.6, 1.6, 1.6, 1.6, 1.2, 1.4, 1.2, 1.2], centred=(1, 2, 3, 4, 5, 6, 7, 8))
    doc.space(4)

    rated = [name for name in order if estates[name]["satisfaction"]["rate"] is not None]
    doc.add(KeepTogether([  # the heading stays with its first chart
        Paragraph(text_markup(_("4. Charts")), STYLES["body"]),
        bar_chart(_("Satisfaction by estate"), rated, [round(estates[n]["satisfaction"]["rate"] * 100, 1) for n in rated],
                  doc.width, percent_axis=True, line_at=60,
                  highlight={i for i, n in enumerate(rated) if estates[n]["flagged"]})]))
    tickets = result["station"]["tickets"]
    doc.add(bar_chart(_("Tickets by kind"), [label(TICKET_KINDS, k) for k in TICKET_KINDS],
                      [tickets["by_kind"][k] for k in TICKET_KINDS], doc.width))
    doc.add(bar_chart(_("Tickets by source"), [label(TICKET_SOURCES, k) for k in TICKET_SOURCES],
                      [tickets["by_source"][k] for k in TICKET_SOURCES], doc.width))
    doc.paragraph(_("Satisfaction rate = (satisfied + basically satisfied) / answered, over ticket callbacks and "
                    "survey answers. On time: stages done within the 5341 promise, the clock stopped while a ticket "
                    "waited; stages still running are not counted yet. Visited on time: key households never overdue "
                    "in the month."), "small")
    doc.signatures(_("Prepared by"), _("Checked by"))
    pages = doc.write(out_path)
    with session.write("print.monthly_report", detail={"month": month, "flagged": len(result["flagged"])}):
        pass
    return {"pages": pages, "estates": len(estates), "flagged": result["flagged"]}
