"""Product pictures drawn locally with Pillow, so the demo needs no network and no stock photos."""

import io

from PIL import Image, ImageDraw, ImageFilter

COLOURS = {
    "Black": "#1c1c1e", "Navy": "#1f2a4d", "Blue": "#2f5fa7", "Sky": "#8fb8de", "Camel": "#c19a6b",
    "Cream": "#efe6d2", "Red": "#b3262e", "Burgundy": "#6d1f2f", "Green": "#2f6b4f", "Olive": "#6b6b3a",
    "Grey": "#8a8d91", "Pink": "#e3a1b4", "White": "#f7f7f5", "Brown": "#6b4630", "Mustard": "#d4a017",
}  # fmt: skip

W, H = 600, 750


def _shape(kind: str) -> list[tuple[float, float]]:
    """A garment silhouette on a 0..1 grid."""
    shapes = {
        "coat": [(.30, .12), (.42, .10), (.5, .16), (.58, .10), (.70, .12), (.86, .30), (.80, .62), (.72, .55),
                 (.72, .92), (.28, .92), (.28, .55), (.20, .62), (.14, .30)],
        "jacket": [(.30, .14), (.42, .12), (.5, .18), (.58, .12), (.70, .14), (.86, .32), (.80, .58), (.72, .52),
                   (.72, .78), (.28, .78), (.28, .52), (.20, .58), (.14, .32)],
        "dress": [(.40, .10), (.5, .15), (.60, .10), (.64, .30), (.60, .42), (.80, .90), (.20, .90), (.40, .42),
                  (.36, .30)],
        "shirt": [(.32, .16), (.44, .13), (.5, .19), (.56, .13), (.68, .16), (.84, .32), (.76, .42), (.70, .36),
                  (.70, .80), (.30, .80), (.30, .36), (.24, .42), (.16, .32)],
        "knit": [(.30, .18), (.5, .22), (.70, .18), (.86, .36), (.82, .72), (.72, .70), (.72, .80), (.28, .80),
                 (.28, .70), (.18, .72), (.14, .36)],
        "trousers": [(.32, .12), (.68, .12), (.72, .90), (.56, .90), (.5, .38), (.44, .90), (.28, .90)],
        "bag": [(.22, .40), (.78, .40), (.84, .84), (.16, .84)],
        "scarf": [(.38, .10), (.62, .10), (.62, .70), (.70, .90), (.52, .90), (.50, .72), (.48, .90), (.30, .90),
                  (.38, .70)],
        "shoe": [(.14, .55), (.40, .55), (.52, .62), (.84, .66), (.88, .76), (.14, .76)],
    }  # fmt: skip
    return shapes.get(kind, shapes["shirt"])


def product_picture(kind: str, colour: str, size: tuple[int, int] = (W, H)) -> bytes:
    fill = COLOURS.get(colour, "#777777")
    image = Image.new("RGB", (W, H), "#f3f1ec")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(H * .82), W, H], fill="#e8e4dc")
    points = [(x * W, y * H) for x, y in _shape(kind)]
    shadow = Image.new("L", (W, H), 0)
    ImageDraw.Draw(shadow).polygon([(x + 10, y + 14) for x, y in points], fill=90)
    image.paste("#cfc9bd", mask=shadow.filter(ImageFilter.GaussianBlur(12)))
    draw = ImageDraw.Draw(image)
    draw.polygon(points, fill=fill, outline="#00000033")
    if kind == "bag":
        draw.arc([W * .34, H * .22, W * .66, H * .52], 180, 360, fill=fill, width=14)
    if kind in {"coat", "jacket", "shirt"}:
        draw.line([(W * .5, H * .18), (W * .5, H * .78)], fill="#00000040", width=3)
    image = image.resize(size) if size != (W, H) else image
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
