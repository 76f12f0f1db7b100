# HTC Notebooks: build, run and test the image family.
# `make run` serves the base notebook; `make test` builds and tests every image.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ORG ?= htcondor
ROOT_IMAGE ?= debian:trixie-slim
# No registry answers on some machines: give up pulling after this many seconds.
PULL_TIMEOUT ?= 60
RUN_NAME ?= htc-notebook
RUN_PORT ?= 8888
# Parents come before children.
IMAGES := $(shell python3 tests/images.py)
# What `make build` builds for: the engine's own platform by default; e.g.
# PLATFORMS="linux/amd64 linux/arm64" for both. Another platform's images are built and run
# under QEMU (tools/host-tools.sh qemu) and tagged with its name (htc-base-notebook:latest-arm64).
NATIVE_PLATFORM := linux/$(shell docker version --format '{{.Server.Arch}}' 2>/dev/null || echo amd64)
PLATFORMS ?= $(NATIVE_PLATFORM)
# QEMU's arm64 CPU model for builds, containers and jobs under emulation (never in an image):
# its default model emulates pointer authentication, which Debian's arm64 binaries use
# everywhere (a shell loop in a RUN step: 4.4 s with it, 0.26 s with this one).
QEMU_CPU ?= neoverse-n1
# A platform's local tag suffix: none for the engine's own, else -ARCH (in shell: $$platform).
SUFFIX = $$([ "$$platform" = "$(NATIVE_PLATFORM)" ] || echo "-$${platform\#*/}")
# The commit built: each image's immutable tag, and its own name inside (docker-bake.hcl).
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest -p no:cacheprovider

.PHONY: help buildx podman browser registry root-image build build-all-arch push test-arm64 manifests run stop test test-lane-base test-lane-family unit lint bench clean $(addprefix build-,$(IMAGES)) $(addprefix test-,$(IMAGES))

help: ## this list
	@sed -nE 's/^([a-z0-9-]+):.*## (.*)/\1\t\2/p; s/^\$$\(addprefix ([a-z]+)-.*## (.*)/\1-IMAGE\t\2/p' $(MAKEFILE_LIST) | \
	  awk -F '\t' '{printf "  %-18s %s\n", $$1, $$2}'
	@echo "  IMAGE is one of: $(IMAGES)"

buildx: ## docker buildx on this host: installed when missing (as root on Debian)
	@tools/host-tools.sh buildx

# Another platform's is always made here (pulling it would replace the engine's own under the
# same tag).
root-image: ## the Debian base image of each platform: pulled, or else made locally with mmdebstrap
	@for platform in $(PLATFORMS); do \
	  suffix=$(SUFFIX); \
	  if [ -z "$$suffix" ]; then \
	    docker image inspect $(ROOT_IMAGE) >/dev/null 2>&1 \
	      || timeout $(PULL_TIMEOUT) docker pull $(ROOT_IMAGE) \
	      || tools/bootstrap-root-image.sh $(ROOT_IMAGE); \
	  else \
	    docker image inspect $(ROOT_IMAGE)$$suffix >/dev/null 2>&1 \
	      || tools/bootstrap-root-image.sh $(ROOT_IMAGE)$$suffix trixie $$platform; \
	  fi; \
	done

build: $(addprefix build-,$(IMAGES)) ## build every image, in order

$(addprefix build-,$(IMAGES)): build-%: buildx root-image ## build one image and those it is built on, e.g. build-base-notebook
	@for platform in $(PLATFORMS); do \
	  suffix=$(SUFFIX); qemu_cpu=; \
	  [ -z "$$suffix" ] || [ "$$platform" != linux/arm64 ] || qemu_cpu=$(QEMU_CPU); \
	  [ -z "$$suffix" ] || tools/host-tools.sh qemu; \
	  for image in $$(python3 tests/images.py $*); do \
	    echo "== building $$image ($$platform)"; \
	    ORG=$(ORG) REVISION=$(REVISION) ROOT_IMAGE=$(ROOT_IMAGE)$$suffix PLATFORM=$$platform TAG_SUFFIX=$$suffix QEMU_CPU=$$qemu_cpu \
	      docker buildx bake --load --progress=plain $$image; \
	    QEMU_CPU=$$qemu_cpu tools/image-info.py tag $(ORG)/htc-$$image:latest$$suffix; \
	  done; \
	done

build-all-arch: ## build the whole family for linux/amd64 and linux/arm64 (arm64 under QEMU here)
	$(MAKE) build PLATFORMS="linux/amd64 linux/arm64"

push: ## push each image's tags as one manifest list per tag: make push REGISTRY=host:port [PLATFORMS=...]
	@test -n "$(REGISTRY)" || { echo "push: set REGISTRY=host:port (the registry to push to)" >&2; exit 2; }
	@ORG=$(ORG) NATIVE_PLATFORM=$(NATIVE_PLATFORM) tools/push.sh $(REGISTRY) "$(PLATFORMS)" $(IMAGES)

manifests: build ## one Markdown page per image in manifests/: versions, size, apt and Python packages
	@for image in $(IMAGES); do tools/image-info.py manifest $(ORG)/htc-$$image:latest manifests; done

run: build-base-notebook ## serve the base notebook on port 8888 and print its URL
	@docker rm -f $(RUN_NAME) >/dev/null 2>&1 || true
	@docker run -d --name $(RUN_NAME) -p 127.0.0.1:$(RUN_PORT):8888 $(ORG)/htc-base-notebook:latest >/dev/null
	@for _ in $$(seq 600); do \
	  url=$$(docker logs $(RUN_NAME) 2>&1 | grep -oE 'http://127\.0\.0\.1:8888/lab\?token=[0-9a-f]+' | head -n 1) || true; \
	  if [ -n "$$url" ]; then echo "$${url/:8888/:$(RUN_PORT)}"; echo "(stop it with: make stop)"; exit 0; fi; \
	  docker inspect -f '{{.State.Running}}' $(RUN_NAME) | grep -q true || { docker logs $(RUN_NAME); exit 1; }; \
	  sleep 0.1; \
	done; echo "Jupyter did not start within 60 s; see: docker logs $(RUN_NAME)" >&2; exit 1

stop: ## stop what `make run` started
	@docker rm -f $(RUN_NAME) >/dev/null 2>&1 || true

$(VENV)/.done: tests/requirements.txt
	@tools/host-tools.sh venv
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tests/requirements.txt
	touch $@

unit: $(VENV)/.done ## entrypoint, dashboard and build-script unit tests, on the host, without Docker
	$(PYTEST) tests/entrypoint tests/build tests/dashboard

# The rootless test's Podman and user, the dashboard test's Chromium, the sites' registry
# (installed as root on Debian; else one line says how).
podman:
	@tools/host-tools.sh podman
browser:
	@tools/host-tools.sh browser

# Two lanes side by side, as the tests mostly wait on HTCondor and Jupyter: the base image's
# suite (about half of the time), and every other image's in order. Each line says its image.
# (CI at ae897df: base 1876 s, then r 102 s, beside the others' 1437 s: r is back with them.)
LANE_BASE := base-notebook
test: unit build podman browser registry ## build and test every image
	@$(MAKE) --no-print-directory -j2 test-lane-base test-lane-family

test-lane-base test-lane-family: test-lane-%:
	@for image in $(if $(filter base,$*),$(LANE_BASE),$(filter-out $(LANE_BASE),$(IMAGES))); do \
	  echo "== testing $$image"; \
	  $(PYTEST) tests --image $$image --durations=10 --color=no 2>&1 | sed -u "s/^/[$$image] /"; \
	done

$(addprefix test-,$(IMAGES)): test-%: $(VENV)/.done build-% podman browser registry ## test one image, e.g. test-base-notebook
	$(PYTEST) tests --image $*

# The base image for arm64 as well, under QEMU: its smoke tests (pool, seed map, Jupyter, health,
# remote mode) and `make push` of both platforms to a registry on loopback.
test-arm64: $(VENV)/.done registry ## build the arm64 base image and run its smoke and publish tests (emulated)
	$(MAKE) build-base-notebook PLATFORMS="$(NATIVE_PLATFORM) linux/arm64"
	QEMU_CPU=$(QEMU_CPU) $(PYTEST) tests --image base-notebook --platform linux/arm64 -m smoke

registry:
	@tools/host-tools.sh registry

lint: $(VENV)/.done ## hadolint, shellcheck, ruff
	$(VENV)/bin/hadolint */Dockerfile tests/site/node/Dockerfile
	$(VENV)/bin/shellcheck tools/*.sh .ci/run base-notebook/install-python-packages base-notebook/open-home base-notebook/start.sh base-notebook/run-hooks.sh base-notebook/_docker_stacks_log.sh base-notebook/fix-permissions r-notebook/install-r tests/operations/make-old-home.sh
	$(VENV)/bin/ruff check entrypoint dashboard tests bench tools/image-info.py base-notebook/patch-htmap base-notebook/htmap-chunks base-notebook/start.py base-notebook/strip-shared-objects base-notebook/compile-python pyspark-notebook/trim-jar-natives scipy-notebook/htc_dask_ssl.py
	$(VENV)/bin/ruff format --check entrypoint dashboard tests bench tools/image-info.py base-notebook/patch-htmap base-notebook/htmap-chunks base-notebook/start.py base-notebook/strip-shared-objects base-notebook/compile-python pyspark-notebook/trim-jar-natives scipy-notebook/htc_dask_ssl.py

# The benchmark builds the base image itself: its cold build is one of the figures.
bench: buildx root-image browser $(VENV)/.done ## speed and size benchmarks (bench/): table, JSON, plot
	$(VENV)/bin/pip install -q -r bench/requirements.txt
	ORG=$(ORG) ROOT_IMAGE=$(ROOT_IMAGE) $(PY) bench/run.py

clean: stop ## remove the images and test containers this project made
	-docker ps -aq --filter label=org.htcondor.test | xargs -r docker rm -f
	-docker images -q '$(ORG)/htc-*' | sort -u | xargs -r docker rmi -f
	rm -rf $(VENV)
