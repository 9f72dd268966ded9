"""Exported models for use outside echolab: ONNX or TorchScript files plus a JSON sidecar.

exporter.py (`echolab export`) writes them from a checkpoint; parts.py says what a network is made
of; formats.py writes each format; sidecar.py says everything a user needs to prepare inputs and
read outputs; runtime.py puts an exported model back behind the task interface `echolab predict` uses.
"""
