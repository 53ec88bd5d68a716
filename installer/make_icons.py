"""Draw RedStation's icon into resources/icons/: PNGs 16–512, a Windows .ico (16–256) and an SVG.

The emblem: a deep-red rounded square with a thin gold rim, a gold roof and, under it, the
character 站 in the shipped WenQuanYi Micro Hei. Below 32 pixels the character would be a
blot, so the small sizes show the roof over a gold house with a red door instead.

Run it again after changing the design (the files are committed, the build only copies them):

    .venv/bin/python installer/make_icons.py
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402  (Pillow comes with reportlab)
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (QBrush, QColor, QFont, QFontDatabase, QGuiApplication, QImage, QLinearGradient,  # noqa: E402
                           QPainter, QPainterPath, QPainterPathStroker, QPen, QTransform)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "icons"
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"

PNG_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256, 512)
# Windows: the small and medium sizes the shell draws at 100–200 % display scaling (16 … 64), and 256, which it
# scales down for the large views; Microsoft's icon guidance lists no 128 (a macOS size), so none is drawn for it.
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 256)
SIMPLE_BELOW = 32          # sizes below this get the drawing without the character
RIM_FROM = 64              # the gold rim only where it is more than a pixel's blur

UNIT = 512.0               # the design is drawn on a 512 × 512 canvas
RED_TOP, RED_BOTTOM = "#c3261d", "#8f140f"
GOLD = "#f5cf6a"


def background(size: int) -> QPainterPath:
    """Full-bleed at the small sizes, so the edge falls on whole pixels."""
    path = QPainterPath()
    if size < RIM_FROM:
        path.addRoundedRect(QRectF(0, 0, 512, 512), 80, 80)
    else:
        path.addRoundedRect(QRectF(16, 16, 480, 480), 92, 92)
    return path


def rim() -> QPainterPath:
    """The thin gold line just inside the edge (large sizes only)."""
    outer, inner = QPainterPath(), QPainterPath()
    outer.addRoundedRect(QRectF(40, 40, 432, 432), 70, 70)
    inner.addRoundedRect(QRectF(48, 48, 416, 416), 62, 62)
    return outer.subtracted(inner)


def roof(size: int) -> QPainterPath:
    """A pitched roof with eaves that turn up a little at the ends, as a filled outline."""
    line = QPainterPath()
    if size < SIMPLE_BELOW:
        line.moveTo(64, 236)
        line.lineTo(256, 84)
        line.lineTo(448, 236)
        width = 58
    else:
        line.moveTo(70, 206)
        line.quadTo(QPointF(92, 200), QPointF(112, 186))
        line.lineTo(256, 86)
        line.lineTo(400, 186)
        line.quadTo(QPointF(420, 200), QPointF(442, 206))
        width = 30 if size >= RIM_FROM else 42
    stroker = QPainterPathStroker()
    stroker.setWidth(width)
    stroker.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    stroker.setCapStyle(Qt.PenCapStyle.FlatCap)
    return stroker.createStroke(line).simplified()


def house() -> QPainterPath:
    """The small sizes: a gold house body with a red door, under the roof."""
    body = QPainterPath()
    body.addRect(QRectF(124, 232, 264, 208))
    door = QPainterPath()
    door.addRect(QRectF(214, 300, 84, 140))
    return body.subtracted(door)


def character(family: str, size: int, text: str = "站") -> QPainterPath:
    """The character's outline, scaled and centred under the roof, its strokes a little heavier
    at the medium sizes so that they stay readable."""
    font = QFont(family)
    font.setPixelSize(200)
    glyph = QPainterPath()
    glyph.addText(0, 0, font, text)
    bounds = glyph.boundingRect()
    box = QRectF(150, 212, 212, 212) if size >= RIM_FROM else QRectF(138, 226, 236, 236)
    scale = min(box.width() / bounds.width(), box.height() / bounds.height())
    path = QPainterPath()
    for polygon in glyph.toSubpathPolygons():         # flatten to plain polygons: same shape in PNG and SVG
        path.addPolygon(polygon)
        path.closeSubpath()
    path.setFillRule(Qt.FillRule.WindingFill)
    centre = bounds.center()
    transform = QTransform()
    transform.translate(box.center().x(), box.center().y())
    transform.scale(scale, scale)
    transform.translate(-centre.x(), -centre.y())
    path = transform.map(path)
    stroker = QPainterPathStroker()
    stroker.setWidth(6 if size >= RIM_FROM else 16)
    stroker.setJoinStyle(Qt.PenJoinStyle.RoundJoin)   # a miter would spike at the glyph's sharp corners
    return path.united(stroker.createStroke(path)).simplified()


def shapes(size: int, family: str) -> list[tuple[QPainterPath, str]]:
    """(path, fill) from back to front; a fill of "gradient" is the red background."""
    drawn = [(background(size), "gradient")]
    if size >= RIM_FROM:
        drawn.append((rim(), GOLD))
    drawn.append((roof(size), GOLD))
    drawn.append((house() if size < SIMPLE_BELOW else character(family, size), GOLD))
    return drawn


def gradient() -> QLinearGradient:
    fill = QLinearGradient(QPointF(0, 0), QPointF(0, 512))
    fill.setColorAt(0, QColor(RED_TOP))
    fill.setColorAt(1, QColor(RED_BOTTOM))
    return fill


def render(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / UNIT, size / UNIT)
    painter.setPen(QPen(Qt.PenStyle.NoPen))
    for path, fill in shapes(size, family):
        painter.setBrush(QBrush(gradient()) if fill == "gradient" else QColor(fill))
        painter.drawPath(path)
    painter.end()
    return image


def svg_path(path: QPainterPath) -> str:
    """SVG path data of a QPainterPath (move, line and cubic curve elements)."""
    parts, i, count = [], 0, path.elementCount()
    number = lambda v: ("%.2f" % v).rstrip("0").rstrip(".")  # noqa: E731
    while i < count:
        element = path.elementAt(i)
        if element.isMoveTo():
            parts.append("M{x} {y}".format(x=number(element.x), y=number(element.y)))
            i += 1
        elif element.isLineTo():
            parts.append("L{x} {y}".format(x=number(element.x), y=number(element.y)))
            i += 1
        else:  # a curve: this element and the next two
            c1, c2 = path.elementAt(i + 1), path.elementAt(i + 2)
            parts.append("C{a} {b} {c} {d} {e} {f}".format(
                a=number(element.x), b=number(element.y), c=number(c1.x), d=number(c1.y),
                e=number(c2.x), f=number(c2.y)))
            i += 3
    return " ".join(parts) + " Z"


def svg(family: str) -> str:
    body = []
    for path, fill in shapes(512, family):
        rule = "nonzero" if path.fillRule() == Qt.FillRule.WindingFill else "evenodd"
        paint = "url(#red)" if fill == "gradient" else fill
        body.append('  <path fill="{fill}" fill-rule="{rule}" d="{d}"/>'.format(fill=paint, rule=rule, d=svg_path(path)))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">\n'
        '  <title>RedStation 红色物业服务站台账系统</title>\n'
        '  <defs><linearGradient id="red" x1="0" y1="0" x2="0" y2="512" gradientUnits="userSpaceOnUse">'
        '<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/></linearGradient></defs>\n'
        '{body}\n</svg>\n').format(top=RED_TOP, bottom=RED_BOTTOM, body="\n".join(body))


def to_pillow(image: QImage) -> Image.Image:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841  (fonts need an application)
    font_id = QFontDatabase.addApplicationFont(str(FONT))
    if font_id < 0:
        print("cannot load {font}".format(font=FONT), file=sys.stderr)
        return 1
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    OUT.mkdir(parents=True, exist_ok=True)
    images = {}
    for size in PNG_SIZES:
        images[size] = render(size, family)
        target = OUT / "redstation-{n}.png".format(n=size)
        if not images[size].save(str(target), "PNG"):
            print("cannot write {t}".format(t=target), file=sys.stderr)
            return 1
    (OUT / "redstation.svg").write_text(svg(family), encoding="utf-8")
    # Windows: one .ico holding each size drawn for that size (not scaled down from 256).
    largest = to_pillow(images[max(ICO_SIZES)])
    largest.save(OUT / "redstation.ico", format="ICO", sizes=[(n, n) for n in ICO_SIZES],
                 append_images=[to_pillow(images[n]) for n in ICO_SIZES if n != max(ICO_SIZES)])
    print("icons written to {out}".format(out=OUT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
