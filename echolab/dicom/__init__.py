"""Clinical DICOM ultrasound cines: decode any vendor's file, find the imaging sector, pseudonymise.

`cine.py` reads one file in two bounded-memory passes (the sector mask from the clip's temporal
variation, then the masked frames); `prepare.py` is `echolab prepare dicom`, which turns a tree of
DICOM files into a de-identified manifest dataset; `io/dicom.py` reads a raw file through the same
`cine.py`, so a raw file and its prepared video hold the same frames. Facts behind every rule here:
docs/dicom.md.
"""
