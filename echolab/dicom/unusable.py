"""Why a DICOM file cannot become a video: one reason code each, as written to bad_files.csv.

Messages never carry a value read from the file that could identify a patient: only codes, counts,
sizes, the modality and transfer syntax names.
"""

from __future__ import annotations

from echolab.errors import VideoReadError

REASONS = {
    "not_dicom": "not a DICOM file (no 'DICM' after the 128-byte preamble)",
    "unreadable": "the DICOM header cannot be parsed",
    "truncated": "the file is truncated: its pixel data ends early",
    "not_ultrasound": "not an ultrasound image",
    "no_pixel_data": "the file holds no pixel data",
    "single_frame": "a single frame: no cine, and no motion to find the imaging sector by",
    "unsupported_transfer_syntax": "no installed decoder reads its transfer syntax",
    "video_transfer_syntax": "an MPEG/H.264/HEVC stream inside DICOM, which echolab does not decode",
    "decode_error": "its pixel data cannot be decoded",
    "static": "the frames do not change: no motion to find the imaging sector by",
    "mask_area": "the imaging sector found covers too little or too much of the image",
}


class UnusableCine(VideoReadError):
    """A DICOM file that is not a usable ultrasound cine; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(REASONS[reason] + (f" ({detail})" if detail else ""))
