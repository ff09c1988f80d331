import DutyCLI

@main
struct DutyctlMain {
    static func main() async {
        await Dutyctl.main()
    }
}
