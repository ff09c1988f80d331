// DutySchedules: see docs/architecture in README.
