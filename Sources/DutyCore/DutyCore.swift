/// DutyCore: the pure scheduling core of dutyd.
///
/// Calendar expressions (systemd `OnCalendar=` syntax), RFC 5545 recurrence rules, workday calendars, duties,
/// occurrences, advance warnings and the planner. Standard library and Foundation value types only: no clock
/// reads, no files, no sockets, no logging. Callers pass every instant and every time zone in.
public enum DutyCore {
    public static let version = "0.1.0"
}
