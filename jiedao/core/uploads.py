"""Uploads of personal documents (application materials, special-group evidence, photos): the file's type
recognised by its content, never by its name, and a random stored name.

What phones send (the service hall's materials, `prepare`): most applicants apply from a phone and most
materials are photos of a paper or a card.

- A PDF is kept as it came (only its first bytes are read: a 40 MB scan is refused by its size, not loaded).
- A photo — JPEG, PNG, WebP (WeChat and Android screenshots), HEIC/HEIF (the iPhone camera's default, and
  what WeChat forwards as 原图) or AVIF — is decoded and written anew: turned upright by its EXIF orientation
  (staff see it as the applicant did, in any browser), larger than `MAX_STORED_PIXELS` scaled down, and
  stored as JPEG (PNG stays PNG while it fits the size limit).
- Nothing of the photo's metadata is kept: EXIF, XMP and the embedded thumbnail go (the colour profile stays).
  A phone writes where a photo was taken into it — for an ID card or a household register photographed at
  home, the applicant's home address to a few metres — with the phone's make and the time. Examining a
  material needs none of this, and 个人信息保护法第六条 limits what is collected to the smallest scope the
  purpose needs (precise location, 行踪轨迹, is sensitive personal information under 第二十八条): so it is
  not collected, rather than kept and hidden from staff.
- A photo may be larger as sent than the per-file limit (`max_photo_bytes`, the camera's original), since
  what is kept is the smaller copy; the copy itself must fit the per-file limit.
- Decoding is bounded: a photo over `MAX_SOURCE_PIXELS` is refused before its pixels are read, and a large
  JPEG is decoded at a reduced scale (`Image.draft`), so one upload holds at most a few hundred MB.

Every refusal is a Chinese sentence naming the file and saying what to do (`UploadRefused`).
"""

from __future__ import annotations

import functools
import io
import math
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
AVIF = "image/avif"
VIDEO = "video/quicktime"

MAGIC = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
PHOTO_TYPES = frozenset({JPEG, PNG, WEBP, HEIC, AVIF})

# ISO base media files name their kind in the `ftyp` box (bytes 4–12 and the compatible brands after):
# HEIF images (heic/heix/mif1…), AVIF, and the videos a phone makes (a Live Photo's .MOV, MP4).
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")
AVIF_BRANDS = (b"avif", b"avis")
VIDEO_BRANDS = (b"qt  ", b"isom", b"iso2", b"mp41", b"mp42", b"M4V ", b"3gp4", b"3gp5", b"3g2a", b"dash")

HEAD_BYTES = 32
MAX_SOURCE_PIXELS = 50_000_000  # a 48 MP iPhone photo (8064×6048) and below
MAX_JPEG_SOURCE_PIXELS = 160_000_000  # a JPEG is decoded at a reduced scale: ~4 bytes a pixel at most
MAX_STORED_PIXELS = 4096 * 4096  # a 12 MP photo as it is; a long screenshot keeps its width
JPEG_QUALITY = 88


def sniff_type(head: bytes) -> str | None:
    """PDF, JPEG or PNG by the first bytes of the file; None for anything else (`recognise` goes on)."""
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def recognise(head: bytes) -> str | None:
    """What the first bytes (`HEAD_BYTES`) say the file is: PDF, JPEG, PNG, WebP, HEIC (any HEIF image),
    AVIF, a phone video (`VIDEO`, e.g. the moving half of a Live Photo), or None for anything else."""
    known = sniff_type(head)
    if known:
        return known
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        major, brands = head[8:12], {head[i : i + 4] for i in range(16, len(head) - 3, 4)}
        if major in AVIF_BRANDS or (major in (b"mif1", b"msf1") and brands & set(AVIF_BRANDS)):
            return AVIF
        if major in HEIF_BRANDS or brands & set(HEIF_BRANDS):
            return HEIC
        if major in VIDEO_BRANDS or brands & set(VIDEO_BRANDS):
            return VIDEO
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # an old QuickTime movie without ftyp
        return VIDEO
    return None


def stored_name(content_type: str) -> str:
    """A random file name: the uploaded name may carry a person's name or ID number."""
    return secrets.token_hex(16) + EXTENSIONS[content_type]


def megabytes(size: int) -> str:
    """A size as the messages say it: "31.8 MB", under a megabyte "640 KB"."""
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{math.ceil(size / 1024)} KB"


# What a refused file's sender reads: the file's name, and what to do instead. `%(mb)s` is a whole number.
MESSAGES = {
    "empty": _("“%(name)s”是空文件。"),
    "video": _(
        "“%(name)s”是视频，不能作为材料。苹果手机的“实况照片”会同时带出一段视频，只需上传照片本身"
        "（或在相册中关闭“实况”后再选择）。"
    ),
    "type": _(
        "“%(name)s”不是 PDF 文件或照片（JPG、PNG、WebP、HEIC），系统按文件内容识别，与文件名无关。"
        "Word、Excel 等文档请先另存为 PDF；其他格式的图片请截屏后上传截图。"
    ),
    "pdf_too_large": _(
        "“%(name)s”有 %(size)s，超过单个文件 %(mb)s MB 的上限。扫描件请在扫描软件中选择较低的清晰度"
        "或压缩后重新导出，页数多的可分成几个文件上传。"
    ),
    "photo_too_large": _(
        "“%(name)s”有 %(size)s，超过照片原图 %(mb)s MB 的上限。请在相机设置中选择较低的分辨率重新拍摄，"
        "或截屏后上传截图。"
    ),
    "still_too_large": _("“%(name)s”压缩后仍有 %(size)s，超过单个文件 %(mb)s MB 的上限。请截屏后上传截图。"),
    "too_many_pixels": _(
        "“%(name)s”的像素过多，系统无法处理。请在相机设置中选择较低的分辨率（如 1200 万像素）重新拍摄，"
        "或截屏后上传截图。"
    ),
    "heic": _(
        "“%(name)s”是苹果手机的 HEIC 格式照片，系统未能打开。请在 iPhone 的“设置 → 相机 → 格式”中"
        "选择“兼容性最佳”后重新拍摄，或截屏后上传截图。"
    ),
    "broken": _("“%(name)s”无法作为图片打开，文件可能已损坏或没有传完整。请重新拍照或重新选择该文件。"),
}


def short_name(name: str) -> str:
    """A file name as a message quotes it: a very long one shortened in the middle, its extension kept."""
    return name if len(name) <= 60 else f"{name[:40]}…{name[-16:]}"


class UploadRefused(Exception):
    """An upload that cannot be kept: `code` (a key of `MESSAGES`) and the Chinese `message` for its sender."""

    def __init__(self, code: str, name: str, size: int = 0, limit: int = 0):
        self.code = code
        self.message = str(MESSAGES[code]) % {
            "name": short_name(name),
            "size": megabytes(size),
            "mb": limit // 1048576,
        }
        super().__init__(self.message)


def client_messages() -> dict[str, str]:
    """`MESSAGES` for a page's script, which puts in {name}, {size} and {mb} itself (the same words before
    a file is sent as after)."""
    return {
        code: str(message) % {"name": "{name}", "size": "{size}", "mb": "{mb}"}
        for code, message in MESSAGES.items()
    }


@dataclass(frozen=True)
class Prepared:
    """What is stored for one upload: `file` (the upload itself, or the photo written anew), its type and
    size, and whether it was converted."""

    file: object
    content_type: str
    size: int
    converted: bool


def prepare(upload, *, name: str, max_bytes: int, max_photo_bytes: int) -> Prepared:
    """The upload as it is to be stored, or `UploadRefused`. `max_bytes`: the limit of a stored file (a PDF
    as sent, a photo after conversion); `max_photo_bytes`: the limit of a photo as sent."""
    size = upload.size
    if size == 0:
        raise UploadRefused("empty", name)
    upload.seek(0)
    content_type = recognise(upload.read(HEAD_BYTES))
    upload.seek(0)
    if content_type == VIDEO:
        raise UploadRefused("video", name)
    if content_type != PDF and content_type not in PHOTO_TYPES:
        raise UploadRefused("type", name)
    if content_type == PDF:
        if size > max_bytes:
            raise UploadRefused("pdf_too_large", name, size, max_bytes)
        return Prepared(upload, PDF, size, converted=False)
    if size > max_photo_bytes:
        raise UploadRefused("photo_too_large", name, size, max_photo_bytes)
    return _photo(upload, content_type, name=name, max_bytes=max_bytes)


@functools.cache
def _heif_ready() -> bool:
    """HEIC/HEIF and AVIF through libheif (the `pi-heif` package, decoder only), registered once per process."""
    try:
        import pi_heif
    except ImportError:  # pragma: no cover - a dependency of the project; refused with advice without it
        return False
    pi_heif.register_heif_opener()
    return True


def _photo(upload, content_type: str, *, name: str, max_bytes: int) -> Prepared:
    """Decode, turn upright, drop metadata, scale to `MAX_STORED_PIXELS`, write as JPEG (or PNG)."""
    from PIL import Image, ImageOps

    if content_type in (HEIC, AVIF) and not _heif_ready():
        raise UploadRefused("heic", name)  # pragma: no cover
    unreadable = UploadRefused("heic" if content_type == HEIC else "broken", name)
    try:
        image = Image.open(upload)
    except Image.DecompressionBombError:
        raise UploadRefused("too_many_pixels", name) from None
    except Exception:  # any decoding failure means "not an image we can read"
        raise unreadable from None
    with image:
        pixels = image.width * image.height
        jpeg = image.format in ("JPEG", "MPO")  # MPO: a JPEG with more pictures (Ultra HDR, depth)
        if pixels > (MAX_JPEG_SOURCE_PIXELS if jpeg else MAX_SOURCE_PIXELS):
            raise UploadRefused("too_many_pixels", name)
        if jpeg and pixels > MAX_STORED_PIXELS:
            # Decode at 1/2, 1/4 or 1/8 scale, never below the size that is kept.
            scale = math.sqrt(MAX_STORED_PIXELS / pixels)
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        # The colour profile says how to show the colours (Display P3 on an iPhone); a CMYK scan's profile
        # does not fit the RGB copy.
        icc_profile = image.info.get("icc_profile") if image.mode != "CMYK" else None
        try:
            image.load()
        except Exception:
            raise unreadable from None
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:  # a damaged EXIF block: the pixels as they are
            upright = image.copy()
    if upright.width * upright.height > MAX_STORED_PIXELS:
        scale = math.sqrt(MAX_STORED_PIXELS / (upright.width * upright.height))
        upright = upright.resize(
            (max(1, round(upright.width * scale)), max(1, round(upright.height * scale))),
            Image.Resampling.LANCZOS,
        )
    stored_type, written = PNG, None
    if content_type == PNG:
        written = _encode(upright, "PNG", icc_profile)
        if len(written) > max_bytes:
            written = None  # a photo saved as PNG: JPEG keeps it within the limit
    if written is None:
        stored_type, written = JPEG, _encode(_flattened(upright), "JPEG", icc_profile)
    size = len(written)
    if size > max_bytes:
        raise UploadRefused("still_too_large", name, size, max_bytes)
    return Prepared(ContentFile(written), stored_type, size, converted=True)


def _encode(image, image_format: str, icc_profile) -> bytes:
    out = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        options.update(quality=JPEG_QUALITY)
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.save(out, format=image_format, **options)  # no exif=, no xmp=: no metadata is written
    return out.getvalue()


def _flattened(image):
    """RGB for JPEG: a transparent screenshot on white, CMYK and 16-bit photos converted."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode in ("RGB", "L") else image.convert("RGB")
