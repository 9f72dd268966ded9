# Every target installs what it needs first (uv creates .venv/ from the committed uv.lock).
# Overrides: make train EXP=view_synthetic ARGS="optim.lr=3e-4 profile=smoke"
# ARGS is split into words by the shell (quotes inside it are honoured); a list written with spaces,
# ARGS="data.classes=[A4C, PLHLA]", is joined back into one override by echolab itself.

EXP    ?= view_synthetic
SUITE  ?= views_synthetic
ARGS   ?=
SWEEP  ?= view_synthetic
TRIALS ?= 2
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV     := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: install train evaluate predict synth prepare-dicom data-summary test test-all bench compare pretrain-bar sweep sweep-local agent lint help

help:
	@echo "make install | train [EXP= ARGS=] [ARGS=resume=RUN_DIR] | evaluate CKPT= [EXP=] | predict CKPT= VIDEO= | synth FORMAT="
	@echo "     prepare-dicom IN= OUT= [ARGS=] | data-summary EXP= | test | test-all | bench | compare [SUITE= ARGS=] | lint"
	@echo "     sweep SWEEP= | agent ID= | sweep-local SWEEP= TRIALS= [ARGS=] | pretrain-bar ARGS="

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	$(UV) sync --frozen --extra dev
	@touch $(STAMP)

# ARGS="resume=runs/<exp>/<run>" continues that run with its own experiment unless EXP= is given too.
train: install
	$(BIN)/echolab train $(if $(and $(findstring resume=,$(ARGS)),$(filter-out command line,$(origin EXP))),,"exp=$(EXP)") $(ARGS)

# Without EXP= on the command line, evaluate uses the experiment stored in the checkpoint.
evaluate: install
	@test -n "$(CKPT)" || (echo "usage: make evaluate CKPT=runs/.../checkpoints/best.ckpt [EXP=name]" && exit 2)
	$(BIN)/echolab evaluate $(if $(filter command line,$(origin EXP)),"exp=$(EXP)") "ckpt=$(CKPT)" $(ARGS)

predict: install
	@test -n "$(CKPT)" -a -n "$(VIDEO)" || (echo "usage: make predict CKPT=path/best.ckpt VIDEO=path" && exit 2)
	$(BIN)/echolab predict "ckpt=$(CKPT)" "video=$(VIDEO)" $(ARGS)

synth: install
	$(BIN)/echolab synth $(or $(FORMAT),ev9v) $(ARGS)

# DICOM cines (any file names, any vendor) -> a de-identified manifest dataset for data=dicom (docs/dicom.md).
prepare-dicom: install
	@test -n "$(IN)" -a -n "$(OUT)" || (echo "usage: make prepare-dicom IN=dicom/folder OUT=data/dicom [ARGS=\"--workers 2\"]" && exit 2)
	$(BIN)/echolab prepare dicom --in "$(IN)" --out "$(OUT)" $(ARGS)

data-summary: install
	$(BIN)/echolab data-summary exp=$(EXP) $(ARGS)

test: install
	$(BIN)/python -m pytest -n 2 -q $(ARGS)

test-all: install
	$(BIN)/python -m pytest -n 2 -q -m "" $(ARGS)

bench: install
	$(BIN)/echolab bench $(ARGS)

compare: install
	$(BIN)/echolab compare suite=$(SUITE) $(ARGS)

# every arm of the pretraining bar, trained and probed (docs/results-pretraining.md), e.g.
#   make pretrain-bar ARGS="--out runs/bar/cpu8 --epochs 8 --seeds 0 1 2 --probe-overrides probe.clips=1"
pretrain-bar: install
	$(BIN)/python scripts/pretrain_bar.py $(ARGS)

# W&B sweeps (experiments/sweeps/NAME.yaml): `sweep` checks the file, creates the sweep on W&B (needs
# `wandb login`) and prints the agent command; `agent` runs trials online, with .venv/bin on PATH for the
# file's `echolab train` command; `sweep-local` runs the same file here with W&B's engine, no server.
sweep: install
	$(BIN)/echolab sweep $(SWEEP)
	$(BIN)/wandb sweep experiments/sweeps/$(SWEEP).yaml 2>&1 | tee $(VENV)/sweep-$(SWEEP).log
	@sed -n -e 's/\x1b\[[0-9;]*m//g' -e 's/.*wandb agent \([^ ]*\).*/run an agent with: make agent ID=\1/p' $(VENV)/sweep-$(SWEEP).log

agent: install
	@test -n "$(ID)" || (echo "usage: make agent ID=entity/project/sweep_id (printed by make sweep)" && exit 2)
	PATH="$(CURDIR)/$(BIN):$$PATH" WANDB_MODE=online $(BIN)/wandb agent $(ID)

sweep-local: install
	$(BIN)/echolab sweep $(SWEEP) --local --trials $(TRIALS) $(ARGS)

lint: install
	$(BIN)/ruff check echolab tests
	$(BIN)/ruff format --check echolab tests
