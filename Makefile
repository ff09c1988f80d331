# dutyd — build, run and test entry points. Every target installs what it needs on a fresh Debian 12.
SWIFT        ?= swift
PREFIX       ?= /usr/local
CONFIG       ?= debug
SCHEDULES    ?= Schedules
STATE        ?= $(CURDIR)/state
RUNTIME      ?= $(CURDIR)/run
SPOOL        ?= $(CURDIR)/spool

# exim4-daemon-light (the MTA behind /usr/sbin/sendmail) and dovecot-imapd are run by the mail tests as private
# instances only (their own configuration under a temporary directory); the packages' system services are never
# started by the tests. Installing exim4 makes /usr/sbin/sendmail exim's; the other tests use stand-in scripts.
APT_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev sqlite3 locales python3 python3-pip systemd \
                s-nail mutt procmail liblockfile-bin remind tmux curl hyperfine spin gcc socat \
                nginx chromium fonts-wqy-microhei poppler-utils poppler-data zlib1g-dev \
                exim4-daemon-light dovecot-imapd postgresql openssl iproute2
PIP_PACKAGES := python-dateutil chinese-calendar icalendar recurring-ical-events pyyaml schemathesis websocket-client \
                aiosmtpd

.PHONY: all build release run test unit-test api-test browser-test screenshots system-test model-check cluster-test deps deps-apt deps-pip journald calendar-demo \
        clean fuzz fuzz-smoke install install-files post-install uninstall deb man

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
	@python3 -c 'import dateutil, chinese_calendar, icalendar, recurring_ical_events, yaml, schemathesis, websocket, aiosmtpd' 2>/dev/null || \
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
	  --state-dir $(STATE) --socket $(RUNTIME)/dutyd.sock --mail-spool $(SPOOL) --private-spool $(ARGS)

# A calendar-expression demo that needs no daemon.
calendar-demo: deps-apt
	$(SWIFT) build -c $(CONFIG) --product dutyctl
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/dutyctl calendar --iterations=5 'Mon *-*-* 09:00' 'monthly'

# The whole test suite: unit, oracle-differential and real-service tests, the query socket as schemathesis meets it,
# the lease protocol's model, then the system test under a real systemd.
test: unit-test
	@$(MAKE) --no-print-directory api-test
	@$(MAKE) --no-print-directory browser-test
	@$(MAKE) --no-print-directory model-check
	@$(MAKE) --no-print-directory system-test
	@$(MAKE) --no-print-directory fuzz-smoke

# The PostgreSQL suites run in a test process of their own, after the rest: their calls carry deadlines (10 s) and
# the cluster scenarios time failovers, and in one process with the other suites, whose synchronous work (Process,
# SQLite) occupies Swift's cooperative pool (2 threads on 2 cores) for minutes at a time, their continuations would
# wait for a thread longer than those deadlines.
POSTGRES_SUITES := PostgresLedgerTests|MultiInstanceTests
unit-test: deps journald
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(POSTGRES_SUITES)'
	$(SWIFT) test --skip-build --filter '$(POSTGRES_SUITES)'

# Several instances on one PostgreSQL ledger, the long run of issue 17 (docs/reliability.md): 50 kills of the leader
# mid-burst, 10 pauses longer than the lease, 5 restarts of PostgreSQL, 5 partitions, each against a PostgreSQL and
# three dutyd processes (in network namespaces) the test starts. Root needed. About 25 minutes. The short version
# (4/2/1/1) runs in unit-test.
cluster-test: deps journald
	$(SWIFT) build --build-tests
	DUTYD_CLUSTER_LONG=1 $(SWIFT) test --skip-build --filter MultiInstanceTests

# The query socket driven by an independent client: schemathesis (PyPI) reads docs/openapi.yaml and runs every check
# and every phase (stateful included) against a private dutyd over a socat bridge, for API_SECONDS (default 150).
API_SECONDS ?= 150
api-test: deps
	$(SWIFT) build --product dutyd
	$(SWIFT) build --product dutyctl
	API_SECONDS=$(API_SECONDS) scripts/api-conformance.sh "$$($(SWIFT) build --show-bin-path)"

# The command office's pages in headless Chromium behind the shipped nginx site (Tests/Browser/browser-test.py,
# about a minute): console errors, failed requests, structure and keyboard, escaping, the visit chart against a
# count from the ledger file, the bulletin printed to PDF, gzip, read-only nginx, the calendar feed's 304s.
browser-test: deps
	$(SWIFT) build --product dutyd
	$(SWIFT) build --product dutyctl
	Tests/Browser/browser-test.py --bin $$($(SWIFT) build --show-bin-path)

# The same run, writing one PNG per page to docs/screenshots/ (the README shows the overview).
screenshots: deps
	$(SWIFT) build --product dutyd
	$(SWIFT) build --product dutyctl
	Tests/Browser/browser-test.py --bin $$($(SWIFT) build --show-bin-path) --screenshots docs/screenshots

# The lease protocol of several instances (docs/lease-protocol.md): spin checks Models/lease.pml, and each mutation
# (fencing removed, an assumption dropped) must give a counterexample. About 40 s.
model-check: deps-apt
	Models/check.sh

# Installs the release build into a throw-away systemd (Tests/System/systemd-sandbox.sh) and runs
# Tests/System/test-dutyd.sh there: socket activation, notify, journal, mail, reload, watchdog, stop.
system-test: deps-apt release-bins
	Tests/System/run-system-test.sh

clean:
	rm -rf .build $(RELEASE_SCRATCH) .build-fuzz

# libFuzzer targets of Fuzz/ (a separate package; ASan, scratch path .build-fuzz): each runs FUZZ_SECONDS seconds from
# the committed seeds in Fuzz/Corpus; a crash fails the target and leaves its input in .build-fuzz/artifacts/.
FUZZ_SECONDS ?= 60
fuzz: deps-apt
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# The short run for CI (part of `make test`): 20 s per target from the committed seeds; a unit may take 30 s
# before it counts as a hang (a loaded CI machine is slow, a real hang is not).
fuzz-smoke: deps-apt
	FUZZ_SECONDS=20 FUZZ_TIMEOUT=30 scripts/fuzz.sh

# ------------------------------------------------------------------------------------------------ install
# `make install [PREFIX=/usr/local] [DESTDIR=]`: release binaries (static Swift runtime), units, sysusers entry,
# shipped schedules, journal catalog, man pages, shell completions (docs/operations.md lists the tree).
# Units and the sysusers entry go to /usr/lib/... for PREFIX=/usr (a distribution package), else to the
# administrator's /etc/systemd/system and /etc/sysusers.d. For a PREFIX other than /usr the unit passes the
# schedule directories explicitly (the compiled-in vendor directory is /usr/share/dutyd/schedules).
# The build writes only to $(RELEASE_SCRATCH); `make install-files` installs without building.
RELEASE_SCRATCH ?= .build-release
RELEASE_BIN     := $(RELEASE_SCRATCH)/release
SYSCONFDIR      ?= /etc
BINDIR          ?= $(PREFIX)/bin
SBINDIR         ?= $(PREFIX)/sbin
DATADIR         ?= $(PREFIX)/share
MANDIR          ?= $(DATADIR)/man
CATALOGDIR      ?= $(PREFIX)/lib/systemd/catalog
BASHCOMPDIR     ?= $(DATADIR)/bash-completion/completions
FISHCOMPDIR     ?= $(DATADIR)/fish/vendor_completions.d
ifeq ($(PREFIX),/usr)
UNITDIR         ?= /usr/lib/systemd/system
SYSUSERSDIR     ?= /usr/lib/sysusers.d
ZSHCOMPDIR      ?= $(DATADIR)/zsh/vendor-completions
SCHEDULE_ARGS   :=
else
UNITDIR         ?= $(SYSCONFDIR)/systemd/system
SYSUSERSDIR     ?= $(SYSCONFDIR)/sysusers.d
ZSHCOMPDIR      ?= $(DATADIR)/zsh/site-functions
SCHEDULE_ARGS   := --schedules $(DATADIR)/dutyd/schedules --schedules $(SYSCONFDIR)/dutyd/schedules.d
endif
SCHEDULEDIR     := $(DATADIR)/dutyd/schedules
ADMINDIR        := $(SYSCONFDIR)/dutyd/schedules.d
SCHEDULE_FILES   = $(shell cd Schedules && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
INSTALLED_FILES  = $(SBINDIR)/dutyd $(BINDIR)/dutyctl $(UNITDIR)/dutyd.service $(UNITDIR)/dutyd.socket \
                   $(SYSUSERSDIR)/dutyd.conf $(CATALOGDIR)/dutyd.catalog $(MANDIR)/man8/dutyd.8 \
                   $(MANDIR)/man1/dutyctl.1 $(BASHCOMPDIR)/dutyctl $(ZSHCOMPDIR)/_dutyctl \
                   $(FISHCOMPDIR)/dutyctl.fish $(addprefix $(SCHEDULEDIR)/,$(SCHEDULE_FILES))
SYSTEMD_RUNNING  = test -z "$(DESTDIR)" && test -d /run/systemd/system

release-bins:
	@$(MAKE) --no-print-directory deps-apt
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH) -j 2 --product dutyd
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH) -j 2 --product dutyctl

install: release-bins
	@$(MAKE) --no-print-directory install-files

install-files:
	@test -x $(RELEASE_BIN)/dutyd -a -x $(RELEASE_BIN)/dutyctl || { echo "run 'make release-bins' first" >&2; exit 1; }
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(SCHEDULEDIR) $(DESTDIR)$(ADMINDIR)
	install -m 0755 -s $(RELEASE_BIN)/dutyd $(DESTDIR)$(SBINDIR)/dutyd
	install -m 0755 -s $(RELEASE_BIN)/dutyctl $(DESTDIR)$(BINDIR)/dutyctl
	sed -e 's|^ExecStart=/usr/sbin/dutyd |ExecStart=$(SBINDIR)/dutyd $(if $(SCHEDULE_ARGS),$(SCHEDULE_ARGS) )|' Units/dutyd.service \
	  > $(DESTDIR)$(UNITDIR)/dutyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dutyd.service
	install -m 0644 Units/dutyd.socket $(DESTDIR)$(UNITDIR)/dutyd.socket
	install -m 0644 Units/sysusers.d/dutyd.conf $(DESTDIR)$(SYSUSERSDIR)/dutyd.conf
	install -m 0644 Units/dutyd.catalog $(DESTDIR)$(CATALOGDIR)/dutyd.catalog
	install -m 0644 man/dutyd.8 $(DESTDIR)$(MANDIR)/man8/dutyd.8
	install -m 0644 man/dutyctl.1 $(DESTDIR)$(MANDIR)/man1/dutyctl.1
	$(RELEASE_BIN)/dutyctl --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/dutyctl
	$(RELEASE_BIN)/dutyctl --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_dutyctl
	$(RELEASE_BIN)/dutyctl --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/dutyctl.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/dutyctl $(DESTDIR)$(ZSHCOMPDIR)/_dutyctl $(DESTDIR)$(FISHCOMPDIR)/dutyctl.fish
	cd Schedules && for f in $(SCHEDULE_FILES); do install -D -m 0644 "$$f" "$(DESTDIR)$(SCHEDULEDIR)/$$f"; done
	@$(MAKE) --no-print-directory post-install

# Only where a systemd runs this system (and not into a DESTDIR): create the user, rebuild the catalog, reload.
post-install:
	@if $(SYSTEMD_RUNNING); then \
	  echo "systemd-sysusers $(SYSUSERSDIR)/dutyd.conf"; systemd-sysusers $(SYSUSERSDIR)/dutyd.conf && \
	  echo "journalctl --update-catalog" && journalctl --update-catalog && \
	  echo "systemctl daemon-reload" && systemctl daemon-reload && \
	  echo "installed: enable with 'systemctl enable --now dutyd.socket'"; \
	elif [ -n "$(DESTDIR)" ]; then \
	  echo "installed into DESTDIR=$(DESTDIR): systemd-sysusers, journalctl --update-catalog and systemctl daemon-reload are left to the package's postinst"; \
	else \
	  echo "systemd is not running here (PID 1 is $$(cat /proc/1/comm)): skipped systemd-sysusers, journalctl --update-catalog, systemctl daemon-reload"; \
	fi

# Removes exactly the files install-files wrote, then the directories that only dutyd used. The dutyd user,
# /var/lib/dutyd (the ledger) and the admin's files in $(ADMINDIR) stay.
uninstall:
	@if $(SYSTEMD_RUNNING); then systemctl disable --now dutyd.socket dutyd.service || true; fi
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	-[ -d "$(DESTDIR)$(SCHEDULEDIR)" ] && find "$(DESTDIR)$(SCHEDULEDIR)" -depth -type d -empty -delete; true
	-for d in $(DATADIR)/dutyd $(ADMINDIR) $(SYSCONFDIR)/dutyd; do \
	  [ -d "$(DESTDIR)$$d" ] && rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; done; true
	@if $(SYSTEMD_RUNNING); then journalctl --update-catalog; systemctl daemon-reload; \
	else echo "systemd is not running here: skipped journalctl --update-catalog, systemctl daemon-reload"; fi

# A Debian package from the same rules: dpkg-deb --build on a PREFIX=/usr DESTDIR tree (packaging/deb/).
deb: release-bins
	packaging/deb/build-deb.sh
