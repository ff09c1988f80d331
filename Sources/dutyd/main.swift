import DutyDaemon

await DutydCommand.main()
