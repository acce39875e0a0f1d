"""QR codes drawn in a page as inline SVG (two-factor enrolment, the rating link at the window)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> str:
    """`data` as an inline SVG QR code (one path, scaled by the page's CSS)."""
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()
