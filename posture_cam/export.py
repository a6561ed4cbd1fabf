"""The export sanitiser: text that came from users or file names, made safe for where it is shown.

Three destinations, three rules (one function each):

* :func:`csv_cell` - spreadsheet CSV (``summary.csv``). A cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is a formula to Excel/LibreOffice/Sheets ("CSV injection",
  OWASP); it is prefixed with a single quote ``'`` so the spreadsheet shows it as text. Numbers
  are left alone (``-3.5`` stays a number); only text cells are changed. Parquet keeps the raw text.
* :func:`terminal_safe` - text printed to a terminal (``posture-cam history``, error lines).
  Escape sequences (CSI ``ESC [ ...``, OSC ``ESC ] ... BEL/ST``, other ``ESC x``) are removed,
  then every remaining C0/C1 control character except newline and tab, and DEL, so a subject id
  cannot move the cursor, retitle the window, hide text or plant a clickable link.
* :func:`md_escape` - text placed into Markdown the dashboard renders (``st.error``, ``st.markdown``):
  every ASCII punctuation character Markdown, GFM or Streamlit gives meaning to is backslash-escaped
  (links ``[x](y)``, images, emphasis, HTML, ``:color[...]`` directives, ``$`` maths), line breaks
  become spaces, so a file name shows literally and can never become a live link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .paths import display_text

CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (hyperlinks, window titles)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS / PM / APC / SOS strings
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
if TYPE_CHECKING:
    import pandas as pd

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'])")


def csv_cell(value: Any) -> Any:
    """``value`` safe as a spreadsheet CSV cell (text starting with a formula character gets ``'``)."""
    if isinstance(value, str):
        value = display_text(value)
        if value.startswith(CSV_FORMULA_PREFIXES):
            return "'" + value
    return value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells went through :func:`csv_cell` (numeric columns untouched)."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(lambda v: csv_cell(v) if isinstance(v, str) else v).astype(out[col].dtype)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def terminal_safe(text: Any) -> str:
    """``str(text)`` without terminal escape sequences or control characters (newline, tab kept)."""
    s = display_text(str(text))
    s = _ANSI.sub("", s)
    return _CONTROL.sub("", s)


def terminal_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and column name) through :func:`terminal_safe`."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(lambda v: terminal_safe(v) if isinstance(v, str) else v)
    out.columns = [terminal_safe(c) if isinstance(c, str) else c for c in out.columns]
    return out


def md_escape(text: Any) -> str:
    """``str(text)`` shown literally in Markdown (no links, emphasis, HTML, directives or maths)."""
    s = terminal_safe(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)
