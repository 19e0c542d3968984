"""The certificate as a one-page PDF (fpdf2) with a QR code (segno) to ``/verifier/{id}``.

The page shows the pupil, school, school year, level and date of issue, a "synthetic data"
banner when the registry is synthetic, the QR code and the signed document (payload and
Ed25519 signature), which is also stored in the PDF's keywords for machine checks.
A Unicode TrueType font (DejaVu Sans) is used when the system has one; otherwise the core
Helvetica font, with characters it lacks transliterated.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from ardoise.french import MONTHS
from ardoise.scolarite.certificates import SignedCertificate

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
_CHARS_PER_LINE = 120  # Courier 6 pt: 1.27 mm a character, 190 mm a line


def verify_url(public_url: str, cert_id: str) -> str:
    return f"{public_url.rstrip('/')}/verifier/{cert_id}"


def french_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


def _latin1(text: str) -> str:
    text = text.replace("Œ", "OE").replace("œ", "oe").replace("’", "'").replace("‘", "'")
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def render(signed: SignedCertificate, public_url: str) -> bytes:
    cert = signed.certificate
    url = verify_url(public_url, cert.id)
    pdf = FPDF(format="A4")
    pdf.set_title("Certificat de scolarité")
    pdf.set_author("Ardoise — ministère de l'Éducation nationale")
    pdf.set_subject(f"Certificat {cert.id}")
    pdf.set_keywords(signed.document)
    pdf.add_page()
    shown = (cert.nom, *cert.prenoms, cert.etablissement or "", cert.niveau)
    # Latin-1 text needs no embedded font (10x faster); other names need a Unicode font.
    font = None
    if any(ord(ch) > 255 for text in shown for ch in text):
        font = next((p for p in FONT_CANDIDATES if p.is_file()), None)
    if font is not None:
        pdf.add_font("certificat", "", str(font))
        family = "certificat"

        def t(text: str) -> str:
            return text
    else:
        family = "helvetica"
        t = _latin1

    def line(text: str, size: float = 12, height: float = 8) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, t(text), new_x="LMARGIN", new_y="NEXT")

    if cert.synthetique:
        pdf.set_fill_color(255, 230, 200)
        pdf.set_font(family, size=11)
        pdf.cell(
            0,
            9,
            t("DONNÉES SYNTHÉTIQUES - document de démonstration, sans valeur"),
            fill=True,
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(4)
    line("Ministère de l'Éducation nationale", 10, 6)
    pdf.ln(6)
    line("CERTIFICAT DE SCOLARITÉ", 20, 12)
    pdf.ln(6)
    school = f"{cert.etablissement} (UAI {cert.uai})" if cert.etablissement else f"UAI {cert.uai}"
    line("Il est certifié que l'élève")
    line(f"{cert.nom} {' '.join(cert.prenoms)}", 14, 9)
    line(f"né(e) le {french_date(cert.date_naissance)}")
    line(f"est inscrit(e) dans l'établissement {school}")
    line(f"pour l'année scolaire {cert.annee_scolaire}, en {cert.niveau}.")
    pdf.ln(4)
    line(f"Délivré le {french_date(cert.date)}.")
    line(f"Certificat n° {cert.id}", 10, 6)
    pdf.ln(4)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    y = pdf.get_y()
    pdf.image(qr, x=pdf.l_margin, y=y, w=45, h=45)
    pdf.set_xy(pdf.l_margin + 50, y)
    pdf.set_font(family, size=10)
    pdf.multi_cell(
        0,
        6,
        t(
            "Pour vérifier ce certificat, flashez le code ou ouvrez :\n"
            f"{url}\nLa page indique s'il est authentique et toujours valide "
            "(il est révoqué si l'élève quitte l'établissement)."
        ),
    )
    pdf.set_xy(pdf.l_margin, y + 50)
    line("Signature électronique (Ed25519) du certificat :", 8, 4)
    pdf.set_font("courier", size=6)
    text = signed.document
    for start in range(0, len(text), _CHARS_PER_LINE):  # monospace: cut, no line breaking
        pdf.cell(0, 3, text[start : start + _CHARS_PER_LINE], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
