// DutyJournal: see docs/architecture in README.
