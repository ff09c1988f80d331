// DutyMail: see docs/architecture in README.
