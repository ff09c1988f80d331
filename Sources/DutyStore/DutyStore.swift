// DutyStore: see docs/architecture in README.
