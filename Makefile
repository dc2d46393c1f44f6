# multitier — `make` (or `make help`) lists every target with one line.
# ENV selects the environment file hosts/$(ENV).yaml.
ENV      ?= production
CHECK    ?=
DIFF     ?=
LIMIT    ?=
TAGS     ?=
JSON     ?=
WAIT_LOCK ?=
# SERIAL=1 | 30% | 1,50%: roll the service's plays in batches (overrides the playbook's serial)
SERIAL   ?=
LAB_HOSTS ?= 1
# First connection to new hosts: ACCEPT_NEW_HOST_KEYS=1 records their host keys in
# hosts/$(ENV).known_hosts (trust on first use; a CHANGED key is always refused).
# KEY=path: the private key to log in with (default: ssh-agent, then ~/.ssh/id_ed25519, id_rsa).
ACCEPT_NEW_HOST_KEYS ?=
KEY      ?=
MULTITIER := ./bin/multitier.js
export CHECKPOINT_DISABLE := 1

# Services are the playbooks: every playbooks/<service>.yml gets deploy-/restart-/unlock- targets
# (not common.yml, which runs first, nor order.yml, the steps of deploy all, nor _*.yml, which hold imported tasks).
SERVICES := $(filter-out common order _%,$(basename $(notdir $(wildcard playbooks/*.yml))))
# A value as one single-quoted shell word, whatever it holds (LIMIT="web'app" included).
shq = '$(subst ','\'',$(1))'
RUN_FLAGS = --env $(call shq,$(ENV)) $(if $(CHECK),--check) $(if $(DIFF),--diff) $(if $(LIMIT),--limit $(call shq,$(LIMIT))) $(if $(TAGS),--tags $(call shq,$(TAGS))) $(if $(JSON),--json) $(LOCK_FLAGS) $(SERIAL_FLAGS)
SERIAL_FLAGS = $(if $(SERIAL),--serial $(call shq,$(SERIAL)))
# a host another run holds: wait up to WAIT_LOCK seconds for its lock (default: leave it, exit 4)
LOCK_FLAGS = $(if $(WAIT_LOCK),--wait-lock $(call shq,$(WAIT_LOCK)))
# deploy-/restart-/unlock-<x>: x must be a service (one line and exit 1 otherwise, nothing run)
service = $(if $(filter $(1),$(SERVICES)),$(1),$(error "$(1)" is not a service: expected one of $(SERVICES)))
CONN_FLAGS = $(if $(KEY),--identity $(call shq,$(KEY))) $(if $(ACCEPT_NEW_HOST_KEYS),--accept-new-host-keys)
RUN_FLAGS += $(CONN_FLAGS)

.DEFAULT_GOAL := help
.PHONY: docs-inputs policy review plan demo tunnel-notebook tunnel-monitoring tunnel-alertmanager ping help setup typecheck test test-unit synth synth-hcl validate bench bench-startup bench-first-deploy diff apply lab-up lab-down demo inventory plan review policy deploy-all tunnel-notebook

help: ## list the targets (this text)
	@echo "multitier — make <target> [ENV=$(ENV)]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_%-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST) | grep -v '%'
	@for s in $(SERVICES); do \
	  printf "  %-18s %s\n" "deploy-$$s" "apply playbooks/$$s.yml to the $$s tier (CHECK=1 DIFF=1 LIMIT= TAGS= JSON=1 WAIT_LOCK= SERIAL= KEY= ACCEPT_NEW_HOST_KEYS=1)"; \
	  printf "  %-18s %s\n" "restart-$$s" "restart the $$s tier's services (rolling where the playbook says serial; SERIAL= overrides)"; \
	  printf "  %-18s %s\n" "unlock-$$s" "after a reboot: open the $$s tier's LUKS volumes, mount, start services"; \
	done

setup: ## install Debian packages (when missing) and npm dependencies
	bash scripts/setup.sh

typecheck: ## type-check every TypeScript file (tsc --noEmit)
	npx --no-install tsc -p tsconfig.json

test: typecheck ## run the whole test suite (type check + jest, lab tests included when root)
	npx --no-install jest --ci

test-unit: ## run the tests that need no lab (fast)
	npx --no-install jest --ci --testPathIgnorePatterns lab reliability

validate: ## check every environment file under hosts/, the playbooks against each, then terraform validate (when installed)
	$(MULTITIER) validate

docs-inputs: ## regenerate README.md's environment-file inputs table from the schema
	node --import tsx scripts/docs-inputs.ts

synth: ## synthesize every environment's stack to cdktf.out/stacks/<env>/cdk.tf.json (Terraform JSON)
	node --import tsx main.ts
	@echo "synth: cdktf.out/stacks/<env>/cdk.tf.json (make synth-hcl for HCL)"

synth-hcl: ## the same stacks as HCL too, through the cdktf CLI (cdktf.out/hcl/stacks/<env>/cdk.tf; slower)
	npx --no-install cdktf synth --hcl --output cdktf.out/hcl >/dev/null
	@echo "synth-hcl: cdktf.out/hcl/stacks/<env>/cdk.tf"

diff: ## show what `cdktf deploy` would change for ENV (needs AWS credentials)
	npx --no-install cdktf diff $(ENV)

apply: ## deploy the ENV stack with cdktf (asks for confirmation); refuses hosts removed with data and state left in cdktf.out
	$(MULTITIER) validate --env $(ENV)
	@node --import tsx scripts/state.ts warn $(ENV)
	@node --import tsx scripts/state.ts guard $(ENV)
	npx --no-install cdktf deploy $(ENV)

inventory: ## refresh hosts/<ENV>.outputs.json from the deployed stack (terraform output -json)
	@test -d cdktf.out/stacks/$(ENV) || { echo "inventory: no cdktf.out/stacks/$(ENV); run make synth and make apply first" >&2; exit 1; }
	cd cdktf.out/stacks/$(ENV) && terraform output -json > $(CURDIR)/hosts/$(ENV).outputs.json.tmp || { rm -f $(CURDIR)/hosts/$(ENV).outputs.json.tmp; exit 1; }
	mv hosts/$(ENV).outputs.json.tmp hosts/$(ENV).outputs.json
	@echo "inventory: wrote hosts/$(ENV).outputs.json"

ping: ## reach every host of ENV through the bastion (no change; first run: ACCEPT_NEW_HOST_KEYS=1 KEY=path)
	$(MULTITIER) ping --env $(call shq,$(ENV)) $(if $(LIMIT),--limit $(call shq,$(LIMIT))) $(CONN_FLAGS)

policy: ## check every environment's synthesized Terraform against the policy rules
	$(MULTITIER) policy

review: ## review the change against BASE (default origin/main) without credentials: synth diff
	$(MULTITIER) review --synth-diff $(or $(BASE),origin/main)

plan: ## validate, synth, policy, terraform plan (only where AWS credentials exist) and its review, for ENV
	$(MULTITIER) validate --env $(ENV)
	node --import tsx main.ts
	$(MULTITIER) policy --env $(ENV)
	@node --import tsx scripts/state.ts warn $(ENV)
	@node --import tsx scripts/state.ts guard $(ENV)
	@if [ -n "$$AWS_ACCESS_KEY_ID$$AWS_PROFILE$$AWS_WEB_IDENTITY_TOKEN_FILE" ] || [ -f "$$HOME/.aws/credentials" ]; then \
	  cd cdktf.out/stacks/$(ENV) && terraform init -input=false >/dev/null && terraform plan -input=false -out=plan.tfplan && terraform show -json plan.tfplan > plan.json && cd $(CURDIR) && $(MULTITIER) review cdktf.out/stacks/$(ENV)/plan.json; \
	else echo "plan: no AWS credentials here: skipping terraform plan (the synth-diff review needs none: make review)"; fi

bench: ## run the benchmarks under bench/ and print their figures
	@for b in bench/*/run.sh; do [ -f "$$b" ] && bash "$$b"; done; true

bench-first-deploy: ## a first deploy all on fresh systemd lab hosts: wall clock and the CPU each host spends (root)
	bash bench/first-deploy.sh

bench-startup: ## command-line start-up: --help, validate --help, a deploy's time to its first connection (no lab needed)
	bash bench/startup.sh

lab-up: ## bring up the local lab: a bastion + LAB_HOSTS hosts per tier as namespaces with real sshd (root)
	@LAB_HOSTS=$(LAB_HOSTS) node --import tsx lab/cli.ts up

lab-down: ## remove every namespace, mount, loop device and process of the lab (safe twice)
	@node --import tsx lab/cli.ts down

demo: ## the whole rehearsal: lab up, deploy all five tiers, recap, deploy again (0 changed), lab down
	bash scripts/demo.sh

tunnel-notebook: ## open the SSH tunnel to Jupyter through the bastion and print the local URL
	$(MULTITIER) tunnel notebook --env $(ENV) --remote-port 8888 $(if $(KEY),--identity $(call shq,$(KEY)))

tunnel-monitoring: ## open the SSH tunnel to Prometheus (alerts: http://127.0.0.1:9090/alerts) on the monitoring host
	$(MULTITIER) tunnel monitoring --env $(ENV) --remote-port 9090

tunnel-alertmanager: ## open the SSH tunnel to Alertmanager (silences: http://127.0.0.1:9093/) on the monitoring host
	$(MULTITIER) tunnel monitoring --env $(ENV) --remote-port 9093

deploy-all: ## deploy every service in the steps of playbooks/order.yml (database first; services of a step at once)
	$(MULTITIER) deploy all $(RUN_FLAGS)

deploy-%:
	$(MULTITIER) deploy $(call service,$*) $(RUN_FLAGS)

restart-%:
	$(MULTITIER) restart $(call service,$*) --env $(call shq,$(ENV)) $(if $(CHECK),--check) $(if $(DIFF),--diff) $(if $(LIMIT),--limit $(call shq,$(LIMIT))) $(if $(JSON),--json) $(LOCK_FLAGS) $(SERIAL_FLAGS) $(CONN_FLAGS)

unlock-%:
	$(MULTITIER) unlock $(call service,$*) --env $(call shq,$(ENV)) $(if $(LIMIT),--limit $(call shq,$(LIMIT))) $(LOCK_FLAGS) $(CONN_FLAGS)
