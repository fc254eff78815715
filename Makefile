# gpuhost.provision — the two commands of README.md, and the pieces they are made of.
SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF ?= $(ROOT)/scripts/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.cache/collections
# this checkout's id (scripts/checkout-id.sh): the label of what it starts, and the demo container's name
CHECKOUT_ID := $(shell bash $(ROOT)/scripts/checkout-id.sh)
DEMO_NODE := gpuhost-demo-$(CHECKOUT_ID)
export GPUHOST_CHECKOUT_ID := $(CHECKOUT_ID)
export MOLECULE_PODMAN_EXECUTABLE := $(ROOT)/scripts/podman-labelled

.PHONY: demo test check lint sanity units integration packaging molecule runner images deps venv collections clean bench lock lock-upgrade outdated

## demo: converge the disposable systemd container gpuhost-demo-<checkout id> with playbooks/site.yml
demo: deps
	@bash scripts/progress.sh "venv: installing the pinned tools (pip; about 2 min the first time)" \
	  $(MAKE) -s --no-print-directory venv collections
	@bash scripts/progress.sh "images: Debian 12 test image (debootstrap; about 2 min the first time)" \
	  bash scripts/build-images.sh debian12
	@bash scripts/demo.sh $(DEMO_NODE)

## test: lint, sanity, unit tests and every molecule scenario; ends with `N passed, N failed`
test:
	@bash scripts/test.sh

## check: the edit loop (ansible-lint, unit and integration tests; no container, no sanity): a few minutes
check:
	@bash scripts/test.sh lint units integration

lint sanity units integration packaging molecule runner:
	@bash scripts/test.sh $@

# one scenario: make molecule-one SCENARIO=smoke
molecule-one: deps venv collections
	@bash scripts/build-nvidia-image.sh > /dev/null
	@GPUHOST_APT_PROXY=$${GPUHOST_APT_PROXY-$$(bash scripts/apt-cache.sh || true)} PYTHONPATH=$(ROOT)/molecule/_shared \
	  molecule --base-config molecule/base.yml test -s $(SCENARIO)

bench:
	@bash bench/run.sh

images: deps
	@bash scripts/build-images.sh debian12 debian13
	@bash scripts/build-nvidia-image.sh

deps:
	@bash scripts/install-deps.sh

venv:
	@bash scripts/venv.sh .venv python3 requirements/dev.lock

## lock: regenerate the Python locks (requirements/*.lock, awx/ee/requirements.txt) after editing an input;
## lock-upgrade: the newest versions the inputs admit; outdated: list locked packages with newer releases
lock:
	@bash scripts/lock.sh lock

lock-upgrade:
	@bash scripts/lock.sh upgrade

outdated:
	@bash scripts/lock.sh outdated

collections: venv
	@bash scripts/collections.sh $(VENV) > /dev/null

## clean: remove what demo and test made here (this checkout's labelled containers and images, venvs, caches);
## other checkouts' containers, the shared test images and the caches in ~/.cache stay
clean:
	-@podman ps -a -q --filter label=gpuhost.checkout=$(CHECKOUT_ID) | xargs -r podman rm -f > /dev/null
	-@podman images -q --filter label=gpuhost.checkout=$(CHECKOUT_ID) | xargs -r podman rmi -f > /dev/null
	rm -rf .venv .venv-core-* .venv-lock .venv-*.log .venv.log .cache tests/output .pytest_cache
