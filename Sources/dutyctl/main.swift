import DutyCLI

await Dutyctl.main()
