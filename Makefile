# dutyd — build, run and test entry points. Every target installs what it needs on a fresh Debian 12.
SWIFT        ?= swift
PREFIX       ?= /usr/local
CONFIG       ?= debug
SCHEDULES    ?= Schedules
STATE        ?= $(CURDIR)/state
RUNTIME      ?= $(CURDIR)/run
SPOOL        ?= $(CURDIR)/spool

APT_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev sqlite3 locales python3 python3-pip systemd \
                s-nail mutt procmail liblockfile-bin remind tmux curl hyperfine
PIP_PACKAGES := python-dateutil chinese-calendar icalendar recurring-ical-events

.PHONY: all build release run test deps deps-apt deps-pip journald calendar-demo clean

all: build

# Install the Debian and PyPI packages the build and the tests need (idempotent, quiet when done).
deps: deps-apt deps-pip

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-pip:
	@python3 -c 'import dateutil, chinese_calendar, icalendar, recurring_ical_events' 2>/dev/null || \
	  python3 -m pip install -q $(PIP_PACKAGES) || python3 -m pip install -q --break-system-packages $(PIP_PACKAGES)

# Start a standalone journald when none answers (PID 1 here is not systemd). See docs/oracles in README.
journald:
	@scripts/ensure-journald.sh

build: deps-apt
	$(SWIFT) build -c $(CONFIG)

release: deps-apt
	$(SWIFT) build -c release --static-swift-stdlib

# The main job: the daemon in the foreground on the shipped schedules with repo-local state, socket and spool.
run: deps-apt journald
	$(SWIFT) build -c $(CONFIG) --product dutyd
	mkdir -p $(STATE) $(RUNTIME) $(SPOOL)
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/dutyd --schedules $(SCHEDULES) \
	  --state-dir $(STATE) --socket $(RUNTIME)/dutyd.sock --mail-spool $(SPOOL) $(ARGS)

# A calendar-expression demo that needs no daemon.
calendar-demo: deps-apt
	$(SWIFT) build -c $(CONFIG) --product dutyctl
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/dutyctl calendar --iterations=5 'Mon *-*-* 09:00' 'monthly'

# The whole test suite: unit, oracle-differential and real-service tests.
test: deps journald
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build
