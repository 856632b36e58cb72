# s3connector developer commands. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
# cfn-guard (policy rules for the templates) is built from crates.io once per machine (see below).
CFN_GUARD_VERSION := 3.2.1
CFN_GUARD := .tools/bin/cfn-guard
# The SAM CLI lives in its own venv: its pins clash with moto's and checkov's.
SAM_VENV := .venv-sam
SAM_CLI_VERSION := 1.150.1
# Lambda architecture for `make package`: x86_64 or arm64. Templates default to arm64;
# these build machines only have the x86_64 Rust target, hence the default here.
ARCH ?= x86_64
FUNCTIONS := ingest scan test-connection
LAMBDA_ARCH_FLAG := $(if $(filter arm64,$(ARCH)),--arm64,$(if $(filter x86_64,$(ARCH)),--x86-64,$(error ARCH must be x86_64 or arm64)))

.PHONY: help venv chromium build fmt lint test load unit integration infra fuzz demo package deploy deploy-emulator bench clean ocsf-table

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

# The venv is rebuilt only when it is missing or requirements-dev.txt changed.
$(VENV)/.installed: requirements-dev.txt
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	cp requirements-dev.txt $@

venv: $(VENV)/.installed ## Create the Python venv with the pinned tools (moto, cargo-lambda, zig, cfn-lint, checkov)

# Headless Chromium for the report.html test (tests/tests/report_html.rs): Debian's package,
# pinned to one major version. Debian keeps only the newest security build of chromium, so
# when the pinned major is gone from the archive the current one is installed instead, with a
# warning to bump CHROMIUM_MAJOR (the test uses only stable headless features: DOM dump and
# screenshot), rather than failing every run on a fresh machine.
CHROMIUM_MAJOR := 156
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium: ## Install Debian's chromium (pinned major version) for the report.html browser test
	@if chromium --version 2>/dev/null | grep -q '^Chromium $(CHROMIUM_MAJOR)\.'; then :; else \
	  echo "installing chromium $(CHROMIUM_MAJOR).* from apt"; \
	  $(SUDO) apt-get update -qq; \
	  if apt-cache madison chromium | awk '{print $$3}' | grep -q '^$(CHROMIUM_MAJOR)\.'; then \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends 'chromium=$(CHROMIUM_MAJOR).*'; \
	  else \
	    echo "warning: Debian no longer carries chromium $(CHROMIUM_MAJOR).*; installing its current build (bump CHROMIUM_MAJOR)" >&2; \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; \
	  fi; \
	  chromium --version; \
	fi

# Built once per machine into a cache outside the checkout (so every clone and CI run on the
# machine reuses it), then linked into .tools/; a version bump rebuilds it.
TOOLS_CACHE ?= $(HOME)/.cache/s3connector/cfn-guard-$(CFN_GUARD_VERSION)
$(CFN_GUARD): Makefile
	@if [ ! -x $(TOOLS_CACHE)/bin/cfn-guard ] || ! $(TOOLS_CACHE)/bin/cfn-guard --version | grep -q '$(CFN_GUARD_VERSION)'; then \
	  echo "building cfn-guard $(CFN_GUARD_VERSION) into $(TOOLS_CACHE) (once per machine)"; \
	  CARGO_TARGET_DIR=$(TOOLS_CACHE)/build cargo install --quiet --locked --root $(TOOLS_CACHE) cfn-guard@$(CFN_GUARD_VERSION); \
	  rm -rf $(TOOLS_CACHE)/build; \
	fi
	@mkdir -p $(dir $@) && ln -sf $(TOOLS_CACHE)/bin/cfn-guard $@
	@touch -h $@

# The OCSF schema table the event validation tests read, compiled from the schema source
# (github.com/ocsf/ocsf-schema, tag v1.3.0) with ocsf-lib. Committed: tests need no network.
# ocsf-lib lives in its own venv: its pins clash with the tools in requirements-dev.txt.
OCSF_SCHEMA_DIR ?= ../shared/ocsf-schema-1.3.0
OCSF_VENV := .venv-ocsf
OCSF_LIB_VERSION := 0.10.4
$(OCSF_VENV)/.installed: Makefile
	rm -rf $(OCSF_VENV)
	python3 -m venv $(OCSF_VENV)
	$(OCSF_VENV)/bin/pip install --quiet --disable-pip-version-check ocsf-lib==$(OCSF_LIB_VERSION)
	touch $@

ocsf-table: $(OCSF_VENV)/.installed ## Regenerate shared/ocsf/schema-1.3.0.json from OCSF_SCHEMA_DIR
	$(OCSF_VENV)/bin/python scripts/ocsf-schema-table.py $(OCSF_SCHEMA_DIR) > shared/ocsf/schema-1.3.0.json.tmp
	mv shared/ocsf/schema-1.3.0.json.tmp shared/ocsf/schema-1.3.0.json

build: ## Build every crate (debug)
	cargo build --workspace --all-targets

fmt: ## Format the code
	cargo fmt --all

lint: ## Check formatting and clippy (warnings are errors)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests only (no emulator)
	cargo test --workspace --lib --bins

integration: venv chromium ## Integration tests against one shared moto server
	scripts/with-emulator.sh cargo test --workspace --test '*'

# `make test` runs the full 5,000-object load test (about 3 minutes); `make load` runs it
# alone, LOAD_OBJECTS to change the count.
LOAD_OBJECTS ?= 5000
test: venv chromium lint $(CFN_GUARD) ## Lint, then every unit and integration test, and the infra checks
	S3CONNECTOR_LOAD_OBJECTS=5000 scripts/with-emulator.sh sh -c 'cargo test --workspace && cargo build --workspace --bins && $(VENV)/bin/pytest -q infra/tests'

load: venv ## Ingestion load test: LOAD_OBJECTS objects drained by concurrent handlers, then reconciled
	S3CONNECTOR_LOAD_OBJECTS=$(LOAD_OBJECTS) scripts/with-emulator.sh cargo test --workspace --test load -- --nocapture

infra: venv $(CFN_GUARD) ## Infra checks only: cfn-lint, checkov, cfn-guard, least privilege, emulator deploy
	cargo build --workspace --bins
	scripts/with-emulator.sh $(VENV)/bin/pytest -q infra/tests

# `make test` runs the same property tests with a few hundred cases each.
FUZZ_CASES ?= 20000
fuzz: ## Long property-test pass over every input decoder and parser (FUZZ_CASES=20000)
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --workspace --test fuzz -- --nocapture

demo: venv ## Run the three functions end to end against a local emulator
	scripts/demo.sh

package: venv ## Release zips for the three functions (ARCH=x86_64|arm64)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release $(LAMBDA_ARCH_FLAG) --output-format zip $(addprefix --bin ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do printf '  %-16s %s bytes\n' "$$f" "$$(stat -c %s target/lambda/$$f/bootstrap.zip)"; done

$(SAM_VENV)/.installed: Makefile
	rm -rf $(SAM_VENV)
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION) cargo-lambda==1.9.2 ziglang==0.14.1
	touch $@

deploy: $(SAM_VENV)/.installed ## Build and deploy the SAM stack for ARCH (guided the first time; then samconfig.toml)
	@# The binaries are built for ARCH and the stack's Architecture parameter must match them:
	@# refuse an ARCH that differs from the one saved in samconfig.toml.
	@if [ -f infra/samconfig.toml ]; then \
	  saved=$$(grep -o 'Architecture=[^ ]*' infra/samconfig.toml | head -1 | tr -d '"\\' | cut -d= -f2); \
	  if [ -n "$$saved" ] && [ "$$saved" != "$(ARCH)" ]; then \
	    echo "error: the stack in infra/samconfig.toml runs $$saved; run make deploy ARCH=$$saved (or change Architecture with sam deploy --guided)" >&2; exit 2; \
	  fi; \
	fi
	cd infra && PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" sam build --beta-features --parameter-overrides Architecture=$(ARCH)
	cd infra && if [ -f samconfig.toml ]; then \
	  PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" sam deploy; \
	else \
	  PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" sam deploy --guided --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --parameter-overrides Architecture=$(ARCH); \
	fi

deploy-emulator: venv $(SAM_VENV)/.installed ## sam build + sam deploy of the stack into a local moto server (no AWS account needed)
	ARCH=$(ARCH) scripts/deploy-emulator.sh

# ripgrep is the baseline of the classification benchmark (Debian's package, pinned).
RIPGREP_VERSION := 13.0.0-4+b2
bench: ## Benchmarks (release build; installs Debian's ripgrep as the classification baseline)
	@if ! dpkg-query -W -f='$${Version}' ripgrep 2>/dev/null | grep -qx '$(RIPGREP_VERSION)'; then \
	  apt-get install -y --no-install-recommends ripgrep=$(RIPGREP_VERSION); \
	fi
	cargo build --release --bins
	cargo run --release -p bench

clean: ## Remove build output, the venv and run state
	cargo clean
	rm -rf $(VENV) $(SAM_VENV) .run
