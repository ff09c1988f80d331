import DutyDaemon

@main
struct DutydMain {
    static func main() async {
        await DutydCommand.main()
    }
}
